/**
 * A pickle virtual machine (protocols 0–5) that only builds data. Python's unpickler imports whatever
 * GLOBAL names and calls whatever REDUCE says, which is how a hostile .pt runs code; this one asks an
 * allow-list ({@link PickleEnvironment}) about every global before it is pushed, and turns "calls" into
 * records (PyObject, PyDict, TorchTensor, …) built by the environment. Nothing here can reach eval,
 * Function, require or the file system. Every size read from the stream is checked against the bytes
 * that are actually left, and the stack and memo are capped, so a crafted file fails with an error.
 */
import { EdgeoptError } from '../util/errors.js';
import type { PyDict, PyGlobal, PyObject, PySet, PyTuple, PyValue } from './types.js';

/** What the VM asks of its caller: the allow-list and how allow-listed callables become records. */
export interface PickleEnvironment {
  /** GLOBAL / STACK_GLOBAL / INST: throw (naming the global) unless `module.name` is allowed. */
  checkGlobal(module: string, name: string): void;
  /** REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ: the record an allowed callable "returns" for `args`. */
  construct(callable: PyGlobal, args: PyValue[], kwargs: PyDict | null): PyValue;
  /** PERSID / BINPERSID: resolve a persistent id (torch uses them for storages). */
  persistentLoad(pid: PyValue): PyValue;
}

export interface PickleLimits {
  /** Most values on the stack at once (including the mark stack). */
  maxStack: number;
  /** Most memo entries. */
  maxMemo: number;
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = { maxStack: 4_000_000, maxMemo: 4_000_000 };

const MARK_SENTINEL = Symbol('mark');
/** Most memo slots a PUT may skip past the number already set (picklers number them densely). */
const MEMO_GAP = 1 << 16;
type StackItem = PyValue | typeof MARK_SENTINEL;

/** Tuples are immutable, so every `()` can be the same one: a checkpoint has thousands (each `OrderedDict()` call). */
const EMPTY_TUPLE: PyTuple = Object.freeze({ kind: 'tuple', items: Object.freeze([]) as unknown as PyValue[] }) as PyTuple;

const IDENTIFIER_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Runs `bytes` to its STOP opcode and returns the value it builds. */
export function unpickle(bytes: Uint8Array, env: PickleEnvironment, limits: PickleLimits = DEFAULT_PICKLE_LIMITS): PyValue {
  return new PickleMachine(bytes, env, limits).run();
}

function fail(message: string): never {
  throw new EdgeoptError(`corrupt pickle: ${message}`);
}

/** Dicts up to this many entries are searched by scanning; larger ones get a hash index. */
const SCAN_LIMIT = 32;

/** Python's `a == b` for dict keys: strings compare directly, everything else by its hash key. */
function sameKey(a: PyValue, b: PyValue): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  const ha = hashKey(a);
  return ha !== null && ha === hashKey(b);
}

/** A hashable key for dict de-duplication (Python dict semantics for str/int/bool/None/tuple keys). */
function hashKey(value: PyValue): string | null {
  if (value === null) return 'N';
  switch (typeof value) {
    case 'string':
      return `s${value}`;
    // Python: 1 == 1.0 == True hash alike.
    case 'number':
      return `n${value}`;
    case 'boolean':
      return `n${value ? 1 : 0}`;
    case 'bigint':
      return `n${value}`;
    default:
      break;
  }
  if (typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && value.kind === 'tuple') {
    const parts = value.items.map(hashKey);
    return parts.every((p) => p !== null) ? `t(${parts.join(',')})` : null;
  }
  return null;
}

class PickleMachine {
  private pos = 0;
  private readonly view: DataView;
  private stack: StackItem[] = [];
  private readonly marks: number[] = [];
  /** Memo slots by index (an array: picklers number them 0, 1, 2, …), and how many are set. */
  private readonly memo: Array<PyValue | undefined> = [];
  private memoCount = 0;
  /** Per-dict key index so SETITEM overwrites like Python does. */
  private readonly dictIndex = new WeakMap<PyDict, Map<string, number>>();
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly bytes: Uint8Array,
    private readonly env: PickleEnvironment,
    private readonly limits: PickleLimits,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): PyValue {
    const bytes = this.bytes;
    const stack = this.stack;
    const memo = this.memo;
    const marks = this.marks;
    const maxStack = this.limits.maxStack;
    for (;;) {
      if (this.pos >= bytes.length) fail('ran off the end of the data without a STOP opcode');
      const at = this.pos;
      const op = bytes[this.pos++]!;
      // The commonest opcodes of a torch.save pickle (memo traffic, small ints, MARK, empty tuples, False: 33,000 of
      // the official yolov5n.pt's 34,297), done here without a call. Unpickling runs once per process, before V8 has
      // optimised anything, where every call costs; this took a fifth off readCheckpoint(yolov5n.pt), 61 → 47 ms.
      // Anything unusual (an unset memo slot, the stack limit, the end of the data) leaves `pos` just past the
      // opcode and goes to step(), which reports it.
      if (stack.length + marks.length < maxStack && this.pos + 4 <= bytes.length) {
        if (op === 0x68 /* BINGET */) {
          const value = memo[bytes[this.pos]!];
          if (value !== undefined) {
            this.pos++;
            stack.push(value);
            continue;
          }
        } else if (op === 0x72 /* LONG_BINPUT */ || op === 0x71 /* BINPUT */) {
          const index = op === 0x71 ? bytes[this.pos]! : bytes[this.pos]! | (bytes[this.pos + 1]! << 8) | (bytes[this.pos + 2]! << 16) | (bytes[this.pos + 3]! * 2 ** 24);
          const lastMark = marks.length > 0 ? marks[marks.length - 1]! : 0;
          if (stack.length > lastMark) {
            const value = stack[stack.length - 1] as PyValue;
            // An overwrite, or the next free slot; step()'s memoPut bounds and counts anything else.
            let stored = true;
            if (memo[index] !== undefined) memo[index] = value;
            else if (index === memo.length && this.memoCount < this.limits.maxMemo) {
              memo.push(value);
              this.memoCount++;
            } else stored = false;
            if (stored) {
              this.pos += op === 0x71 ? 1 : 4;
              continue;
            }
          }
        } else if (op === 0x4b /* BININT1 */) {
          stack.push(bytes[this.pos++]!);
          continue;
        } else if (op === 0x29 /* EMPTY_TUPLE */) {
          stack.push(EMPTY_TUPLE);
          continue;
        } else if (op === 0x89 /* NEWFALSE */) {
          stack.push(false);
          continue;
        } else if (op === 0x88 /* NEWTRUE */) {
          stack.push(true);
          continue;
        } else if (op === 0x4e /* NONE */) {
          stack.push(null);
          continue;
        } else if (op === 0x28 /* MARK */) {
          marks.push(stack.length);
          continue;
        }
      }
      if (op === 0x2e /* STOP '.' */) {
        const result = this.pop();
        if (this.stack.length !== 0 || this.marks.length !== 0) fail('values left on the stack at STOP');
        return result;
      }
      this.step(op, at);
    }
  }

  // ---- reading -------------------------------------------------------------------------------

  private need(n: number, what: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.bytes.length) {
      fail(`${what} at byte ${this.pos} needs ${n} bytes but only ${this.bytes.length - this.pos} remain`);
    }
  }
  private u8(): number {
    this.need(1, 'argument');
    return this.bytes[this.pos++]!;
  }
  private u16(): number {
    this.need(2, 'argument');
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  private u32(): number {
    this.need(4, 'argument');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  private i32(): number {
    this.need(4, 'argument');
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  private u64(): number {
    this.need(8, 'argument');
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    // Anything above 2^53 cannot fit in the remaining bytes anyway; need() rejects it.
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
  }
  private take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  private text(n: number, what: string): string {
    try {
      return this.utf8.decode(this.take(n, what));
    } catch (err) {
      if (err instanceof EdgeoptError) throw err;
      fail(`${what} is not valid UTF-8`);
    }
  }
  /** A protocol-0 argument: the bytes up to the next newline, as latin-1 text. */
  private line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) fail(`${what} at byte ${this.pos} has no terminating newline`);
    let s = '';
    for (let i = this.pos; i < end; i++) s += String.fromCharCode(this.bytes[i]!);
    this.pos = end + 1;
    return s.endsWith('\r') ? s.slice(0, -1) : s;
  }

  // ---- stack ---------------------------------------------------------------------------------

  private push(value: StackItem): void {
    if (this.stack.length + this.marks.length >= this.limits.maxStack) fail(`stack exceeds ${this.limits.maxStack} values`);
    this.stack.push(value);
  }
  private pop(): PyValue {
    if (this.stack.length <= (this.marks.at(-1) ?? 0) && this.marks.length > 0) fail('pop below a MARK');
    if (this.stack.length === 0) fail('pop from an empty stack');
    return this.stack.pop() as PyValue;
  }
  private top(): PyValue {
    if (this.stack.length === 0 || this.stack.length <= (this.marks.at(-1) ?? -1)) fail('stack is empty');
    return this.stack[this.stack.length - 1] as PyValue;
  }
  /** Pops everything above the most recent MARK. */
  private popMark(): PyValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) fail('no MARK on the stack');
    const items = this.stack.splice(mark) as PyValue[];
    return items;
  }
  private memoPut(index: number, value: PyValue): void {
    if (this.memo[index] === undefined) {
      if (this.memoCount >= this.limits.maxMemo) fail(`memo exceeds ${this.limits.maxMemo} entries`);
      // A sparse index far beyond the count would make the array huge: no pickler writes one.
      if (index > this.memoCount + MEMO_GAP) fail(`memo index ${index} skips more than ${MEMO_GAP} slots`);
      this.memoCount++;
    }
    this.memo[index] = value;
  }
  private memoGet(index: number): PyValue {
    const value = this.memo[index];
    if (value === undefined) fail(`memo key ${index} used before it was set`);
    return value;
  }

  // ---- typed pops ----------------------------------------------------------------------------

  private asList(value: PyValue, op: string): PyValue[] {
    if (!Array.isArray(value)) fail(`${op} needs a list, got ${kindOf(value)}`);
    return value;
  }
  private asDict(value: PyValue, op: string): PyDict {
    if (!isRecord(value, 'dict')) fail(`${op} needs a dict, got ${kindOf(value)}`);
    return value as PyDict;
  }
  private asTuple(value: PyValue, op: string): PyTuple {
    if (!isRecord(value, 'tuple')) fail(`${op} needs a tuple of arguments, got ${kindOf(value)}`);
    return value as PyTuple;
  }
  private asCallable(value: PyValue, op: string): PyGlobal {
    if (!isRecord(value, 'global')) fail(`${op} can only apply an allow-listed global, got ${kindOf(value)}`);
    return value as PyGlobal;
  }

  /**
   * `dict[key] = value` with Python's overwrite semantics. Most dicts in a checkpoint are small (a module's
   * `_parameters`, its `__dict__`), so they are scanned; only a dict that grows past SCAN_LIMIT gets a hash
   * index. Building an index for every dict allocated a Map and a key string per entry, which made unpickling
   * a YOLO checkpoint a fifth slower (most of it in the garbage collector).
   */
  private setItem(dict: PyDict, key: PyValue, value: PyValue): void {
    const entries = dict.entries;
    let index = this.dictIndex.get(dict);
    if (!index && entries.length < SCAN_LIMIT) {
      // String keys (a module's attribute names) compare directly, without a call per entry scanned.
      const stringKey = typeof key === 'string';
      for (let i = 0; i < entries.length; i++) {
        const existing = entries[i]![0];
        if (stringKey ? existing === key : sameKey(existing, key)) {
          entries[i]![1] = value;
          return;
        }
      }
      if (typeof key !== 'string' && hashKey(key) === null) fail(`unhashable dict key of type ${kindOf(key)}`);
      entries.push([key, value]);
      return;
    }
    const hash = hashKey(key);
    if (hash === null) fail(`unhashable dict key of type ${kindOf(key)}`);
    if (!index) {
      index = new Map(entries.map(([k], i) => [hashKey(k) ?? `#${i}`, i]));
      this.dictIndex.set(dict, index);
    }
    const existing = index.get(hash);
    if (existing !== undefined) entries[existing]![1] = value;
    else {
      index.set(hash, entries.length);
      entries.push([key, value]);
    }
  }

  private global(module: string, name: string): PyGlobal {
    if (!IDENTIFIER_PATH.test(module) || !IDENTIFIER_PATH.test(name)) {
      fail(`malformed global name '${module.slice(0, 80)}.${name.slice(0, 80)}'`);
    }
    this.env.checkGlobal(module, name);
    return { kind: 'global', module, name };
  }

  // ---- the opcodes ---------------------------------------------------------------------------

  private step(op: number, at: number): void {
    switch (op) {
      // framing and control
      case 0x80: // PROTO
        if (this.u8() > 5) fail(`pickle protocol ${this.bytes[this.pos - 1]} is newer than 5`);
        return;
      case 0x95: // FRAME: only a read-ahead hint
        this.u64();
        return;
      case 0x28: // MARK
        if (this.marks.length + this.stack.length >= this.limits.maxStack) fail('too many MARKs');
        this.marks.push(this.stack.length);
        return;
      case 0x30: // POP
        if (this.marks.length > 0 && this.marks.at(-1) === this.stack.length) this.marks.pop();
        else this.pop();
        return;
      case 0x31: // POP_MARK
        this.popMark();
        return;
      case 0x32: // DUP
        this.push(this.top());
        return;

      // numbers
      case 0x4a: // BININT
        this.push(this.i32());
        return;
      case 0x4b: // BININT1
        this.push(this.u8());
        return;
      case 0x4d: // BININT2
        this.push(this.u16());
        return;
      case 0x8a: // LONG1
        this.push(decodeLong(this.take(this.u8(), 'LONG1')));
        return;
      case 0x8b: // LONG4
        this.push(decodeLong(this.take(this.u32(), 'LONG4')));
        return;
      case 0x49: {
        // INT (protocol 0; '00' / '01' are False / True)
        const s = this.line('INT');
        if (s === '00') this.push(false);
        else if (s === '01') this.push(true);
        else this.push(parseDecimal(s, 'INT'));
        return;
      }
      case 0x4c: // LONG (protocol 0)
        this.push(parseDecimal(this.line('LONG').replace(/L$/, ''), 'LONG'));
        return;
      case 0x47: // BINFLOAT (big-endian double)
        this.need(8, 'BINFLOAT');
        this.push(this.view.getFloat64(this.pos, false));
        this.pos += 8;
        return;
      case 0x46: {
        // FLOAT (protocol 0)
        const s = this.line('FLOAT');
        // Python's repr spells the specials 'inf' / 'nan'.
        const special = /^([+-]?)(inf|nan)$/i.exec(s);
        const v = special ? (special[2]!.toLowerCase() === 'nan' ? Number.NaN : special[1] === '-' ? -Infinity : Infinity) : Number(s);
        if (Number.isNaN(v) && !special) fail(`bad FLOAT literal '${s.slice(0, 40)}'`);
        this.push(v);
        return;
      }

      // constants
      case 0x4e: // NONE
        this.push(null);
        return;
      case 0x88: // NEWTRUE
        this.push(true);
        return;
      case 0x89: // NEWFALSE
        this.push(false);
        return;

      // strings and bytes
      case 0x58: // BINUNICODE
        this.push(this.text(this.u32(), 'BINUNICODE'));
        return;
      case 0x8c: // SHORT_BINUNICODE
        this.push(this.text(this.u8(), 'SHORT_BINUNICODE'));
        return;
      case 0x8d: // BINUNICODE8
        this.push(this.text(this.u64(), 'BINUNICODE8'));
        return;
      case 0x56: // UNICODE (protocol 0, raw-unicode-escape)
        this.push(decodeRawUnicodeEscape(this.line('UNICODE')));
        return;
      case 0x54: // BINSTRING (Python 2 str; torch.load decodes these as UTF-8)
        this.push(this.text(this.i32(), 'BINSTRING'));
        return;
      case 0x55: // SHORT_BINSTRING
        this.push(this.text(this.u8(), 'SHORT_BINSTRING'));
        return;
      case 0x53: // STRING (protocol 0, quoted repr)
        this.push(decodeQuotedString(this.line('STRING')));
        return;
      case 0x42: // BINBYTES
        this.push(this.take(this.u32(), 'BINBYTES').slice());
        return;
      case 0x43: // SHORT_BINBYTES
        this.push(this.take(this.u8(), 'SHORT_BINBYTES').slice());
        return;
      case 0x8e: // BINBYTES8
        this.push(this.take(this.u64(), 'BINBYTES8').slice());
        return;
      case 0x96: // BYTEARRAY8
        this.push(this.take(this.u64(), 'BYTEARRAY8').slice());
        return;
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        fail('out-of-band buffers (protocol 5 NEXT_BUFFER) are not used by torch.save and are not supported');

      // lists
      case 0x5d: // EMPTY_LIST
        this.push([]);
        return;
      case 0x6c: // LIST
        this.push(this.popMark());
        return;
      case 0x61: {
        // APPEND
        const value = this.pop();
        this.asList(this.top(), 'APPEND').push(value);
        return;
      }
      case 0x65: {
        // APPENDS
        const items = this.popMark();
        const list = this.asList(this.top(), 'APPENDS');
        for (const item of items) list.push(item);
        return;
      }

      // tuples
      case 0x29: // EMPTY_TUPLE
        this.push(EMPTY_TUPLE);
        return;
      case 0x74: // TUPLE
        this.push({ kind: 'tuple', items: this.popMark() });
        return;
      case 0x85: // TUPLE1
        this.push({ kind: 'tuple', items: [this.pop()] });
        return;
      case 0x86: {
        // TUPLE2
        const b = this.pop();
        const a = this.pop();
        this.push({ kind: 'tuple', items: [a, b] });
        return;
      }
      case 0x87: {
        // TUPLE3
        const c = this.pop();
        const b = this.pop();
        const a = this.pop();
        this.push({ kind: 'tuple', items: [a, b, c] });
        return;
      }

      // dicts
      case 0x7d: // EMPTY_DICT
        this.push({ kind: 'dict', entries: [] });
        return;
      case 0x64: {
        // DICT
        const items = this.popMark();
        if (items.length % 2) fail('DICT with an odd number of items');
        const dict: PyDict = { kind: 'dict', entries: [] };
        for (let i = 0; i < items.length; i += 2) this.setItem(dict, items[i]!, items[i + 1]!);
        this.push(dict);
        return;
      }
      case 0x73: {
        // SETITEM
        const value = this.pop();
        const key = this.pop();
        this.setItem(this.asDict(this.top(), 'SETITEM'), key, value);
        return;
      }
      case 0x75: {
        // SETITEMS
        const items = this.popMark();
        if (items.length % 2) fail('SETITEMS with an odd number of items');
        const dict = this.asDict(this.top(), 'SETITEMS');
        for (let i = 0; i < items.length; i += 2) this.setItem(dict, items[i]!, items[i + 1]!);
        return;
      }

      // sets
      case 0x8f: // EMPTY_SET
        this.push({ kind: 'set', items: [], frozen: false });
        return;
      case 0x90: {
        // ADDITEMS
        const items = this.popMark();
        const set = this.top();
        if (!isRecord(set, 'set') || (set as PySet).frozen) fail(`ADDITEMS needs a set, got ${kindOf(set)}`);
        for (const item of items) (set as PySet).items.push(item);
        return;
      }
      case 0x91: // FROZENSET
        this.push({ kind: 'set', items: this.popMark(), frozen: true });
        return;

      // memo
      case 0x67: // GET
        this.push(this.memoGet(parseIndex(this.line('GET'))));
        return;
      case 0x68: // BINGET
        this.push(this.memoGet(this.u8()));
        return;
      case 0x6a: // LONG_BINGET
        this.push(this.memoGet(this.u32()));
        return;
      case 0x70: // PUT
        this.memoPut(parseIndex(this.line('PUT')), this.top());
        return;
      case 0x71: // BINPUT
        this.memoPut(this.u8(), this.top());
        return;
      case 0x72: // LONG_BINPUT
        this.memoPut(this.u32(), this.top());
        return;
      case 0x94: // MEMOIZE
        this.memoPut(this.memoCount, this.top());
        return;

      // globals and object construction: the only places where Python would import or call
      case 0x63: {
        // GLOBAL
        const module = this.line('GLOBAL module');
        const name = this.line('GLOBAL name');
        this.push(this.global(module, name));
        return;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        this.push(this.global(module, name));
        return;
      }
      case 0x52: {
        // REDUCE
        const args = this.asTuple(this.pop(), 'REDUCE');
        const callable = this.asCallable(this.pop(), 'REDUCE');
        this.push(this.env.construct(callable, args.items, null));
        return;
      }
      case 0x81: {
        // NEWOBJ
        const args = this.asTuple(this.pop(), 'NEWOBJ');
        const cls = this.asCallable(this.pop(), 'NEWOBJ');
        this.push(this.env.construct(cls, args.items, null));
        return;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = this.asDict(this.pop(), 'NEWOBJ_EX');
        const args = this.asTuple(this.pop(), 'NEWOBJ_EX');
        const cls = this.asCallable(this.pop(), 'NEWOBJ_EX');
        this.push(this.env.construct(cls, args.items, kwargs));
        return;
      }
      case 0x69: {
        // INST (protocol 0): class named inline, arguments since MARK
        const module = this.line('INST module');
        const name = this.line('INST name');
        const cls = this.global(module, name);
        this.push(this.env.construct(cls, this.popMark(), null));
        return;
      }
      case 0x6f: {
        // OBJ (protocol 1): MARK cls args...
        const items = this.popMark();
        if (items.length === 0) fail('OBJ without a class');
        const cls = this.asCallable(items[0]!, 'OBJ');
        this.push(this.env.construct(cls, items.slice(1), null));
        return;
      }
      case 0x62: {
        // BUILD: set an instance's state; never calls __setstate__
        const state = this.pop();
        applyState(this.top(), state);
        return;
      }
      case 0x51: // BINPERSID
        this.push(this.env.persistentLoad(this.pop()));
        return;
      case 0x50: // PERSID
        this.push(this.env.persistentLoad(this.line('PERSID')));
        return;
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        fail('copyreg extension codes (EXT1/2/4) are not supported');
      default:
        fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
    }
  }
}

/** BUILD semantics for the records we create: objects keep their state, dict subclasses their attributes. */
function applyState(target: PyValue, state: PyValue): void {
  if (isRecord(target, 'object')) {
    const obj = target as PyObject;
    // A second BUILD merges into an existing __dict__, as object.__setstate__ would.
    if (isRecord(obj.state, 'dict') && isRecord(state, 'dict')) for (const entry of (state as PyDict).entries) (obj.state as PyDict).entries.push(entry);
    else obj.state = state;
    return;
  }
  if (isRecord(target, 'dict')) {
    // OrderedDict.__reduce__ carries instance attributes (state_dict()._metadata) as BUILD state.
    if (state !== null) (target as PyDict).attrs = state;
    return;
  }
  if (isRecord(target, 'tensor') && (state === null || (isRecord(state, 'dict') && (state as PyDict).entries.length === 0))) return;
  fail(`BUILD on a ${kindOf(target)} is not supported`);
}

export function isRecord(value: PyValue | undefined, kind: string): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && value.kind === kind;
}

/** A short name for a value's type, for error messages. */
export function kindOf(value: PyValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'None';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'object') return value.kind === 'object' ? `${value.className} object` : value.kind;
  return typeof value;
}

/** Little-endian two's-complement integer (LONG1/LONG4): a number when exact, else a bigint. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  if (bytes.length <= 6) {
    let v = 0;
    for (let i = bytes.length - 1; i >= 0; i--) v = v * 256 + bytes[i]!;
    if (bytes[bytes.length - 1]! & 0x80) v -= 2 ** (8 * bytes.length);
    return v;
  }
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseDecimal(s: string, what: string): number | bigint {
  if (!/^[+-]?\d{1,4300}$/.test(s)) fail(`bad ${what} literal '${s.slice(0, 40)}'`);
  const v = BigInt(s);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseIndex(s: string): number {
  if (!/^\d{1,10}$/.test(s)) fail(`bad memo index '${s.slice(0, 40)}'`);
  return Number(s);
}

function decodeRawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4: string | undefined, u8: string | undefined) => {
    const code = parseInt((u4 ?? u8)!, 16);
    if (code > 0x10ffff) fail('UNICODE escape out of range');
    return String.fromCodePoint(code);
  });
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

function decodeQuotedString(s: string): string {
  const quote = s[0];
  if ((quote !== "'" && quote !== '"') || s.length < 2 || s[s.length - 1] !== quote) fail('STRING argument is not quoted');
  return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_m, esc: string) => {
    if (esc.startsWith('x')) return String.fromCharCode(parseInt(esc.slice(1), 16));
    const simple = SIMPLE_ESCAPES[esc];
    if (simple === undefined) fail(`unsupported escape '\\${esc}' in STRING`);
    return simple;
  });
}
