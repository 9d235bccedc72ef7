// Summarises a V8 .heapsnapshot file (JSON: node fields, node types, a flat array of nodes) by what the objects are:
// self size and count per type and constructor name (objects by constructor, strings, code and closures grouped as
// one row each), largest first. Self size, not retained: retained sizes need the dominator tree, and the question
// here is "which kinds of object fill the heap".
import { readFileSync } from 'node:fs';

export interface HeapRow {
  readonly what: string;
  readonly bytes: number;
  readonly count: number;
}

interface Snapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: string[]; readonly node_types: [string[], ...unknown[]] } };
  readonly nodes: number[];
  readonly strings: string[];
}

/** Groups the snapshot's nodes; returns the `top` largest groups and the total of all self sizes. */
export function summariseHeapSnapshot(file: string, top = 15): { rows: HeapRow[]; totalBytes: number } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [fType, fName, fSize] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const groups = new Map<string, { bytes: number; count: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + fType]!] ?? '?';
    const size = snap.nodes[i + fSize]!;
    total += size;
    const name = snap.strings[snap.nodes[i + fName]!] ?? '';
    const what = groupName(type, name);
    const g = groups.get(what) ?? { bytes: 0, count: 0 };
    g.bytes += size;
    g.count++;
    groups.set(what, g);
  }
  const rows = [...groups].map(([what, g]) => ({ what, ...g })).sort((a, b) => b.bytes - a.bytes);
  return { rows: rows.slice(0, top), totalBytes: total };
}

function groupName(type: string, name: string): string {
  switch (type) {
    case 'object':
      return name.length > 40 ? `${name.slice(0, 37)}...` : name;
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(strings)';
    case 'closure':
      return '(closures)';
    case 'code':
      // (bytecode), (feedback vectors), (shared function infos), ... are named in the code node itself
      return /^\(.*\)$/.test(name) ? name : '(code)';
    case 'hidden':
    case 'array':
    case 'native':
      return `(${type}) ${name.length > 30 ? `${name.slice(0, 27)}...` : name}`;
    default:
      return `(${type})`;
  }
}
