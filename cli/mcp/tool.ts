/** An MCP tool as data: its input shape and the API call it makes. */
import type { z } from 'zod';
import type { StrixClient } from '../client.ts';

export interface ToolSpec<Shape extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: Shape;
  /** Reads only (else: changes an issue). */
  readOnly: boolean;
  /** Cannot be undone from the API alone (a merge). */
  destructive?: boolean;
  call(client: StrixClient, args: z.infer<z.ZodObject<Shape>>): Promise<unknown>;
}

/** Keeps each tool's argument type tied to its own input shape. */
export const defineTool = <Shape extends z.ZodRawShape>(spec: ToolSpec<Shape>): ToolSpec => spec;
