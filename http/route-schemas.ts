/**
 * Routes declare their request and per-status response schemas in zod: one
 * source for the handlers' validation (parse.ts), the response serializer and
 * the OpenAPI document (openapi.ts).
 *
 * Requests are validated in the handlers, not by fastify: parse.ts names the
 * field in every 400 ("query parameter limit: ..."), and the edge validates a
 * batch's events one by one for partial success, so a route's request schema
 * is documentation here and costs a request nothing. Responses are serialized
 * with fast-json-stringify from the zod schema's JSON Schema, compiled once per
 * route, exactly as fastify serializes a hand-written JSON Schema: no zod work
 * per response.
 */
import type { FastifyPluginAsync, FastifyPluginOptions, FastifySchemaCompiler, FastifySerializerCompiler, FastifyTypeProvider, RawServerDefault } from 'fastify';
import fastJson from 'fast-json-stringify';
import { z } from 'zod';

/** `{error, message}`: every refusal and failure (the table in errors.ts). */
export const ErrorBody = z
  .object({ error: z.string().meta({ description: 'A stable code from the error table (bad_request, not_found, …)' }), message: z.string() })
  .meta({ description: 'What was wrong, naming the field and the limit' });

/** The error answers every JSON route declares. */
export const errorResponses = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

/** A 204's empty body. */
export const NoContent = z.null().meta({ description: 'No content' });

/**
 * Types a route's handler by its zod response schemas (what it returns or
 * sends must match them); request parts stay `unknown` until a parse.ts
 * helper reads them.
 */
export interface ZodSchemas extends FastifyTypeProvider {
  validator: unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

/** A route plugin whose schemas are zod. */
export type ZodRoutes<Options extends FastifyPluginOptions = Record<never, never>> = FastifyPluginAsync<Options, RawServerDefault, ZodSchemas>;

export const isZodSchema = (schema: unknown): schema is z.ZodType => schema instanceof z.ZodType;

function mustBeZod(schema: unknown, where: string): asserts schema is z.ZodType {
  if (!isZodSchema(schema)) throw new Error(`${where}: declare the schema in zod (one source for validation, serialization and /openapi.json)`);
}

/** A JSON Schema for a zod schema: `input` for what a client sends, `output` for what a route answers. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output', target: 'draft-7' | 'draft-2020-12'): Record<string, unknown> {
  // Transforms (a time parsed to epoch ms) document their input side; nothing else is unrepresentable.
  const json: Record<string, unknown> = z.toJSONSchema(schema, { io, target, unrepresentable: 'any' });
  // The dialect is the document's (OpenAPI 3.1) or the serializer's, not the schema's own.
  delete json.$schema;
  return json;
}

/** Fastify's validator for request schemas: they document, the handler validates (see above). */
export const documentingValidator: FastifySchemaCompiler<unknown> = ({ schema, method, url, httpPart }) => {
  mustBeZod(schema, `${method} ${url} ${httpPart ?? 'request'}`);
  return () => true;
};

/** Fastify's serializer for response schemas: fast-json-stringify over the zod schema's JSON Schema. */
export const zodSerializer: FastifySerializerCompiler<unknown> = ({ schema, method, url, httpStatus }) => {
  mustBeZod(schema, `${method} ${url} response ${httpStatus}`);
  return fastJson(jsonSchemaOf(schema, 'output', 'draft-7'));
};
