import { create, createRegistry, type DescFile, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import {
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

type ResponseInit = MessageInitShape<typeof ServerReflectionResponseSchema>["messageResponse"];

/**
 * gRPC server reflection, so grpcurl, buf curl and Postman work with no .proto files.
 * `files` are the files of the services served (their imports are found from them);
 * `serviceNames` is what list_services answers.
 */
export function createReflectionService(files: readonly DescFile[], serviceNames: readonly string[]) {
  const filesByName = new Map<string, DescFile>();
  const collect = (file: DescFile) => {
    if (filesByName.has(file.proto.name)) return;
    filesByName.set(file.proto.name, file);
    file.dependencies.forEach(collect);
  };
  files.forEach(collect);
  const registry = createRegistry(...filesByName.values());

  function answer(request: ServerReflectionRequest): ResponseInit {
    const { messageRequest } = request;
    switch (messageRequest.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: serviceNames.map((name) => ({ name })) } };
      case "fileByFilename":
        return filesResponse(filesByName.get(messageRequest.value), `file "${messageRequest.value}" not found`);
      case "fileContainingSymbol":
        return filesResponse(fileDeclaring(messageRequest.value), `symbol "${messageRequest.value}" not found`);
      case "fileContainingExtension":
        return notFound(`no extension ${messageRequest.value.extensionNumber} of "${messageRequest.value.containingType}"`);
      case "allExtensionNumbersOfType": {
        const message = registry.getMessage(messageRequest.value);
        if (message === undefined) return notFound(`type "${messageRequest.value}" not found`);
        return { case: "allExtensionNumbersResponse", value: { baseTypeName: message.typeName, extensionNumber: [] } };
      }
      default:
        return { case: "errorResponse", value: { errorCode: Code.InvalidArgument, errorMessage: "no request set" } };
    }
  }

  /** A service, method ("pkg.Service.Method"), message, enum or extension name. */
  function fileDeclaring(symbol: string): DescFile | undefined {
    const found = registry.get(symbol) ?? registry.getService(symbol.slice(0, symbol.lastIndexOf(".")));
    return found?.file;
  }

  /** The file and everything it imports, transitively, as grpcurl and buf expect. */
  function filesResponse(file: DescFile | undefined, missing: string): ResponseInit {
    if (file === undefined) return notFound(missing);
    const seen = new Map<string, DescFile>();
    const visit = (f: DescFile) => {
      if (seen.has(f.proto.name)) return;
      seen.set(f.proto.name, f);
      f.dependencies.forEach(visit);
    };
    visit(file);
    const fileDescriptorProto = [...seen.values()].map((f) => toBinary(FileDescriptorProtoSchema, f.proto));
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto } };
  }

  function respond(request: ServerReflectionRequest) {
    return create(ServerReflectionResponseSchema, {
      validHost: request.host,
      originalRequest: request,
      messageResponse: answer(request),
    });
  }

  const v1: ServiceImpl<typeof ServerReflection> = {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) yield respond(request);
    },
  };
  // v1alpha is wire-identical to v1: translate through the binary form.
  const alpha: ServiceImpl<typeof v1alpha.ServerReflection> = {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        const asV1 = fromBinary(ServerReflectionRequestSchema, toBinary(v1alpha.ServerReflectionRequestSchema, request));
        yield fromBinary(v1alpha.ServerReflectionResponseSchema, toBinary(ServerReflectionResponseSchema, respond(asV1)));
      }
    },
  };
  return { v1, v1alpha: alpha };
}

function notFound(message: string): ResponseInit {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: message } };
}
