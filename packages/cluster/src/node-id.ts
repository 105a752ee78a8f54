import { randomBytes } from 'node:crypto';

const NODE_ID_CHARS = /^[A-Za-z0-9_.-]+$/;
/** Names that read as roles or as nothing in logs, audit entries and the admin view. */
const RESERVED_NODE_IDS = new Set(['admin', 'root', 'system', 'null']);
export const NODE_ID_MIN_LENGTH = 3;
export const NODE_ID_MAX_LENGTH = 128;

/**
 * Why `id` cannot name a node, or null when it can: 3–128 characters of `A-Za-z0-9_.-`, no
 * `..` or `//` (a node id ends up in paths and URLs), not a reserved word (admin, root,
 * system, null, in any case).
 */
export function nodeIdProblem(id: string): string | null {
  if (id.length < NODE_ID_MIN_LENGTH || id.length > NODE_ID_MAX_LENGTH) {
    return `a node id is ${NODE_ID_MIN_LENGTH}–${NODE_ID_MAX_LENGTH} characters long (this one has ${id.length})`;
  }
  // Before the character check, so that a path traversal is named as one.
  if (id.includes('..') || id.includes('//')) return 'a node id may not contain ".." or "//"';
  if (!NODE_ID_CHARS.test(id)) return 'a node id may contain only letters, digits, "_", "." and "-"';
  if (RESERVED_NODE_IDS.has(id.toLowerCase())) return `"${id}" is reserved and cannot name a node`;
  return null;
}

export function isNodeId(id: string): boolean {
  return nodeIdProblem(id) === null;
}

/** `node-` and 12 random hex digits: a node started with neither SERVER_ID nor a usable HOSTNAME. */
export function generateNodeId(): string {
  return `node-${randomBytes(6).toString('hex')}`;
}

export type NodeIdSource = 'SERVER_ID' | 'HOSTNAME' | 'generated';

/**
 * This node's id: `serverId` (the operator's choice: the caller has validated it and stops on
 * a bad one), else `hostname` when it is a valid node id (containers name themselves), else
 * a generated one.
 */
export function chooseNodeId(from: { serverId?: string | undefined; hostname?: string | undefined }): { id: string; source: NodeIdSource } {
  if (from.serverId !== undefined) {
    const problem = nodeIdProblem(from.serverId);
    if (problem) throw new Error(`invalid SERVER_ID: ${problem}`);
    return { id: from.serverId, source: 'SERVER_ID' };
  }
  if (from.hostname !== undefined && isNodeId(from.hostname)) return { id: from.hostname, source: 'HOSTNAME' };
  return { id: generateNodeId(), source: 'generated' };
}
