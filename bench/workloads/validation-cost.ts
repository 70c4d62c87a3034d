import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { PointSchema, RectangleSchema, RouteNoteSchema } from "../../gen/routeguide/route_guide_pb.js";
import { SubscribeNotesRequestSchema } from "../../gen/routeguide/route_notes_pb.js";
import { CreateUserRequestSchema, LogoutRequestSchema } from "../../gen/userservice/user_service_pb.js";
import { serviceRules, serviceRulesWithoutQuickCheck } from "../../validation/service-rules.js";
import { formatNumber, median } from "../lib/stats.js";

export interface ValidationRow {
  label: string;
  /** Nanoseconds per check, one figure per round. */
  nanoseconds: number[];
}

interface Case<Desc extends DescMessage = DescMessage> {
  label: string;
  schema: Desc;
  init: MessageInitShape<Desc>;
  /** Checked by protovalidate alone (validation/quick-check.ts off), for comparison. */
  withoutQuickCheck?: true;
}

const point = { latitude: 409146138, longitude: -746188906 };
const CASES: Case[] = [
  { label: "Point (GetFeature): 2 CEL rules", schema: PointSchema, init: point },
  { label: "Point, protovalidate alone (no quick check)", schema: PointSchema, init: point, withoutQuickCheck: true },
  { label: "Rectangle (ListFeatures): 2 required + 4 CEL", schema: RectangleSchema, init: { lo: point, hi: point } },
  { label: "Rectangle, protovalidate alone (no quick check)", schema: RectangleSchema, init: { lo: point, hi: point }, withoutQuickCheck: true },
  { label: "RouteNote (PostNote, each RouteChat note)", schema: RouteNoteSchema, init: { location: point, message: "a note of ordinary length" } },
  { label: "SubscribeNotesRequest (area)", schema: SubscribeNotesRequestSchema, init: { scope: { case: "area", value: { lo: point, hi: point } } } },
  { label: "CreateUserRequest: lengths, pattern, email", schema: CreateUserRequestSchema, init: { username: "ada_lovelace", email: "ada@example.com", password: "analytical engine" } },
  { label: "LogoutRequest (no rules: skipped)", schema: LogoutRequestSchema, init: {} },
] as Case[];

/**
 * What the request rules cost per message, in this process: valid messages (the common case;
 * every rule runs), timed over many checks after a warm-up. The interceptor adds one check per
 * request message to each call.
 */
export function measureValidationCost(options: { rounds: number; checks: number }): ValidationRow[] {
  const quick = serviceRules();
  const alone = serviceRulesWithoutQuickCheck();
  const rows = CASES.map((testCase) => ({ label: testCase.label, nanoseconds: [] as number[] }));
  for (let round = 0; round < options.rounds; round++) {
    for (const [index, testCase] of CASES.entries()) {
      const message = create(testCase.schema, testCase.init);
      const rules = testCase.withoutQuickCheck ? alone : quick;
      const check = () => (rules.governs(testCase.schema) ? rules.check(testCase.schema, message) : []);
      for (let i = 0; i < Math.min(options.checks, 10_000); i++) check();
      const started = process.hrtime.bigint();
      let broken = 0;
      for (let i = 0; i < options.checks; i++) broken += check().length;
      const elapsed = Number(process.hrtime.bigint() - started);
      if (broken > 0) throw new Error(`${testCase.label}: the benchmark's message breaks a rule`);
      (rows[index] as ValidationRow).nanoseconds.push(elapsed / options.checks);
    }
  }
  return rows;
}

export function validationTable(rows: readonly ValidationRow[]): string {
  const lines = ["| request message | µs per check | checks per second on one core |", "|---|---:|---:|"];
  for (const row of rows) {
    const ns = median(row.nanoseconds);
    lines.push(`| ${row.label} | ${formatNumber(ns / 1000, 2)} | ${formatNumber(1e9 / ns)} |`);
  }
  return lines.join("\n");
}
