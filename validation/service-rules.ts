import { file_routeguide_route_guide } from "../gen/routeguide/route_guide_pb.js";
import { file_routeguide_route_notes } from "../gen/routeguide/route_notes_pb.js";
import { file_routeguide_route_recording } from "../gen/routeguide/route_recording_pb.js";
import { file_routeguide_rules_request_rules } from "../gen/routeguide/rules/request_rules_pb.js";
import { file_userservice_chat_room } from "../gen/userservice/chat_room_pb.js";
import { file_userservice_rules_request_rules } from "../gen/userservice/rules/request_rules_pb.js";
import { file_userservice_user_service } from "../gen/userservice/user_service_pb.js";
import { createRequestRules, type RequestRules } from "./request-rules.js";

const SERVICE_RULES = {
  rules: [file_routeguide_rules_request_rules, file_userservice_rules_request_rules],
  governed: [file_routeguide_route_guide, file_routeguide_route_notes, file_routeguide_route_recording, file_userservice_user_service, file_userservice_chat_room],
};

let rules: RequestRules | undefined;

/** The rules of this repository's services (proto/*\/rules), built on first use and shared. */
export function serviceRules(): RequestRules {
  rules ??= createRequestRules(SERVICE_RULES);
  return rules;
}

/** The same rules checked by protovalidate alone, without the quick check: for the bench's comparison (bench/workloads/validation-cost.ts). */
export function serviceRulesWithoutQuickCheck(): RequestRules {
  return createRequestRules({ ...SERVICE_RULES, quickCheck: false });
}
