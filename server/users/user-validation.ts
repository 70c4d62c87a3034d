import { Code, ConnectError } from "@connectrpc/connect";
import type { CreateUserRequest } from "../../gen/userservice/user_service_pb.js";

export const USERNAME_RULE = {
  minLength: 3,
  maxLength: 32,
  pattern: /^[A-Za-z][A-Za-z0-9_.-]*$/,
  description: "letters, digits, '_', '.', '-', starting with a letter",
};
export const EMAIL_MAX_LENGTH = 254;
export const PASSWORD_RULE = { minLength: 8, maxLength: 128 };

/** The simple, permissive shape of an address: something@domain.tld, no spaces. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** A CreateUserRequest that passed validation, with the email normalised to lower case. */
export interface ValidNewUser {
  username: string;
  email: string;
  password: string;
}

/** Checks every field in order and fails with INVALID_ARGUMENT "field: reason" on the first problem. */
export function requireValidNewUser(request: CreateUserRequest): ValidNewUser {
  const { username, password } = request;
  const email = request.email.trim().toLowerCase();
  const problem = usernameProblem(username) ?? emailProblem(email) ?? passwordProblem(password);
  if (problem !== undefined) throw new ConnectError(problem, Code.InvalidArgument);
  return { username, email, password };
}

function usernameProblem(username: string): string | undefined {
  if (username === "") return "username: is required";
  if (username.length < USERNAME_RULE.minLength || username.length > USERNAME_RULE.maxLength) {
    return `username: must be ${USERNAME_RULE.minLength} to ${USERNAME_RULE.maxLength} characters, got ${username.length}`;
  }
  if (!USERNAME_RULE.pattern.test(username)) return `username: may only contain ${USERNAME_RULE.description}`;
  return undefined;
}

function emailProblem(email: string): string | undefined {
  if (email === "") return "email: is required";
  if (email.length > EMAIL_MAX_LENGTH) return `email: must be at most ${EMAIL_MAX_LENGTH} characters`;
  if (!EMAIL_PATTERN.test(email)) return `email: "${email}" is not an email address (expected name@example.com)`;
  return undefined;
}

function passwordProblem(password: string): string | undefined {
  if (password === "") return "password: is required";
  if (password.length < PASSWORD_RULE.minLength) {
    return `password: must be at least ${PASSWORD_RULE.minLength} characters`;
  }
  if (password.length > PASSWORD_RULE.maxLength) {
    return `password: must be at most ${PASSWORD_RULE.maxLength} characters`;
  }
  return undefined;
}
