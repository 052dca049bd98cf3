import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pyToJs } from '../../src/pt/checkpoint.js';
import { unpickle, type PickleEnvironment } from '../../src/pt/pickle.js';
import { isAllowedGlobal, torchPickleEnvironment } from '../../src/pt/torch-globals.js';
import type { PyDict, PyObject, PySet } from '../../src/pt/types.js';
import { isEdgeoptError } from '../../src/util/errors.js';
import * as P from './pickle-writer.js';

const env = () => torchPickleEnvironment(new Map());
const run = (...parts: P.Bytes[]) => unpickle(P.pickleBytes(...parts), env());

/** Wraps the real environment and records every construct/persistentLoad call it receives. */
function recordingEnvironment(): PickleEnvironment & { calls: string[] } {
  const inner = env();
  const calls: string[] = [];
  return {
    calls,
    checkGlobal: (m, n) => inner.checkGlobal(m, n),
    construct: (c, args, kw) => {
      calls.push(`${c.module}.${c.name}`);
      return inner.construct(c, args, kw);
    },
    persistentLoad: (pid) => {
      calls.push('persistentLoad');
      return inner.persistentLoad(pid);
    },
  };
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(isEdgeoptError(err)).toBe(true);
    return err as Error;
  }
  throw new Error('expected an EdgeoptError');
}

describe('pickle VM: data opcodes', () => {
  it('builds numbers, strings, lists, tuples, dicts and sets (protocol 2)', () => {
    const value = run(
      P.proto(2),
      P.EMPTY_DICT,
      P.MARK,
      P.str('ints'),
      P.EMPTY_LIST,
      P.MARK,
      P.int(7),
      P.int(300),
      P.int(-5),
      [0x8a, 2, 0xff, 0x7f], // LONG1 0x7fff
      [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x80], // LONG1 -2^71
      P.APPENDS,
      P.str('float'),
      P.float(-2.5),
      P.str('consts'),
      P.NONE,
      P.TRUE,
      P.FALSE,
      P.TUPLE3,
      P.str('pair'),
      P.str('a'),
      P.str('é€'),
      P.TUPLE2,
      P.int(3),
      P.str('int key'),
      P.SETITEMS,
      P.STOP,
    );
    expect(pyToJs(value)).toEqual({
      ints: [7, 300, -5, 0x7fff, (-(2n ** 71n)).toString()],
      float: -2.5,
      consts: [null, true, false],
      pair: ['a', 'é€'],
      '3': 'int key',
    });
  });

  it('handles protocol 4 framing, STACK_GLOBAL, MEMOIZE, sets and shared references', () => {
    const body = P.pickleBytes(
      P.EMPTY_LIST,
      P.MEMOIZE, // memo 0 = the outer list
      P.MARK,
      P.stackGlobal('collections', 'OrderedDict'),
      P.EMPTY_TUPLE,
      P.REDUCE,
      P.MEMOIZE, // memo 1 = the OrderedDict
      P.str('k'),
      P.int(1),
      P.SETITEM,
      [0x8f], // EMPTY_SET
      P.MARK,
      P.int(1),
      P.int(2),
      [0x90], // ADDITEMS
      P.MARK,
      P.str('frozen'),
      [0x91], // FROZENSET
      [0x68, 1], // BINGET 1: the same OrderedDict again
      P.TUPLE,
      P.APPEND,
      P.STOP,
    );
    const value = unpickle(P.pickleBytes(P.proto(4), P.frame(body.length), Array.from(body)), env());
    expect(Array.isArray(value)).toBe(true);
    const [tuple] = value as unknown as Array<{ items: [PyDict, PySet, PySet, PyDict] }>;
    const [od, set, frozen, again] = tuple!.items;
    expect(od.className).toBe('collections.OrderedDict');
    expect(again).toBe(od);
    expect(set).toMatchObject({ kind: 'set', frozen: false, items: [1, 2] });
    expect(frozen).toMatchObject({ kind: 'set', frozen: true, items: ['frozen'] });
    expect(pyToJs(value)).toEqual([[{ k: 1 }, [1, 2], ['frozen'], { k: 1 }]]);
  });

  it('SETITEM overwrites an existing key like a Python dict', () => {
    const value = run(P.proto(2), P.EMPTY_DICT, P.str('a'), P.int(1), P.SETITEM, P.str('a'), P.int(2), P.SETITEM, P.STOP) as PyDict;
    expect(value.entries).toEqual([['a', 2]]);
  });

  it('keys compare as in Python (1 == 1.0 == True, equal tuples) in small dicts and in large ones', () => {
    for (const filler of [0, 40]) {
      const items = Array.from({ length: filler }, (_, i) => [...P.str(`k${i}`), ...P.int(i)]).flat();
      const value = run(
        P.proto(2), P.EMPTY_DICT, P.MARK, items,
        P.int(1), P.str('one'), P.TRUE, P.str('true'), P.float(1), P.str('float'),
        P.tuple([P.int(2), P.str('x')]), P.str('a'), P.tuple([P.int(2), P.str('x')]), P.str('b'),
        P.str('k3'), P.str('again'),
        P.SETITEMS, P.STOP,
      ) as PyDict;
      expect(value.entries.length, `filler ${filler}`).toBe(filler + 2 + (filler > 3 ? 0 : 1));
      expect(value.entries.find(([k]) => k === 1)?.[1]).toBe('float');
      expect(value.entries.find(([k]) => typeof k === 'object')?.[1]).toBe('b');
      expect(value.entries.find(([k]) => k === 'k3')?.[1]).toBe('again');
    }
    expect(errorOf(() => run(P.proto(2), P.EMPTY_DICT, P.EMPTY_LIST, P.int(1), P.SETITEM, P.STOP)).message).toMatch(/unhashable dict key of type list/);
  });

  it('module classes become records of class name and BUILD state, never instances', () => {
    const value = run(P.proto(2), P.moduleObject('torch.nn.modules.activation', 'SiLU', { attrs: [['inplace', P.TRUE]] }), P.STOP) as PyObject;
    expect(value.kind).toBe('object');
    expect(value.className).toBe('torch.nn.modules.activation.SiLU');
    expect(pyToJs(value)).toMatchObject({ __class__: 'torch.nn.modules.activation.SiLU', inplace: true, training: false });
  });

  it('reads a self-referencing list without recursing forever', () => {
    const value = run(P.proto(2), P.EMPTY_LIST, P.binput(0), P.binget(0), P.APPEND, P.STOP);
    expect(pyToJs(value)).toEqual(['<cycle>']);
  });
});

describe('pickle VM: hostile pickles are refused by name before anything is applied', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeopt-pickle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, P.Bytes[], string]> = [
    ['posix.system via GLOBAL + REDUCE', [P.proto(2), P.global('posix', 'system'), P.str(`touch ${join(dir, 'pwned-posix')}`), P.TUPLE1, P.REDUCE, P.STOP], 'posix.system'],
    ['builtins.eval via REDUCE', [P.proto(2), P.global('builtins', 'eval'), P.str("__import__('os').system('true')"), P.TUPLE1, P.REDUCE, P.STOP], 'builtins.eval'],
    ['os.system via STACK_GLOBAL (protocol 4)', [P.proto(4), P.stackGlobal('os', 'system'), P.str(`touch ${join(dir, 'pwned-os')}`), P.TUPLE1, P.REDUCE, P.STOP], 'os.system'],
    ['__builtin__.getattr nested deep inside valid data', [P.proto(2), P.EMPTY_LIST, P.MARK, P.int(1), P.str('x'), P.global('__builtin__', 'getattr'), P.APPENDS, P.STOP], '__builtin__.getattr'],
    ['subprocess.Popen via NEWOBJ', [P.proto(2), P.global('subprocess', 'Popen'), P.EMPTY_TUPLE, P.NEWOBJ, P.STOP], 'subprocess.Popen'],
    ['a function in an allowed module prefix', [P.proto(2), P.global('torch.nn.modules.module', 'register_module_forward_hook'), P.STOP], 'torch.nn.modules.module.register_module_forward_hook'],
    ['torch.load-style helpers', [P.proto(2), P.global('torch.storage', '_load_from_bytes'), P.STOP], 'torch.storage._load_from_bytes'],
    ['numpy reconstruction', [P.proto(2), P.global('numpy.core.multiarray', '_reconstruct'), P.STOP], 'numpy.core.multiarray._reconstruct'],
  ];
  for (const [label, parts, name] of cases) {
    it(`refuses ${label}`, () => {
      const recording = recordingEnvironment();
      const err = errorOf(() => unpickle(P.pickleBytes(...parts), recording));
      expect(err.message).toBe(`checkpoint uses disallowed global '${name}' (edgeopt never runs code from a checkpoint)`);
      // Refused at GLOBAL time: the REDUCE/NEWOBJ that would apply it was never reached.
      expect(recording.calls).toEqual([]);
    });
  }

  it('left no side effects behind', () => {
    expect(existsSync(join(dir, 'pwned-posix'))).toBe(false);
    expect(existsSync(join(dir, 'pwned-os'))).toBe(false);
  });

  it('rejects malformed global names that could smuggle text', () => {
    expect(errorOf(() => run(P.proto(2), P.global('os;rm -rf /', 'x'), P.STOP)).message).toMatch(/malformed global name/);
  });

  it('REDUCE can only apply a global, not data', () => {
    expect(errorOf(() => run(P.proto(2), P.str('eval'), P.EMPTY_TUPLE, P.REDUCE, P.STOP)).message).toMatch(/REDUCE can only apply an allow-listed global, got string/);
  });

  it('the allow-list is explicit', () => {
    expect(isAllowedGlobal('torch._utils', '_rebuild_tensor_v2')).toBe(true);
    expect(isAllowedGlobal('torch', 'HalfStorage')).toBe(true);
    expect(isAllowedGlobal('models.common', 'C3')).toBe(true);
    expect(isAllowedGlobal('ultralytics.nn.modules.block', 'C2f')).toBe(true);
    expect(isAllowedGlobal('torch', 'load')).toBe(false);
    expect(isAllowedGlobal('builtins', 'exec')).toBe(false);
    expect(isAllowedGlobal('torch.nn.modules', 'eval')).toBe(false);
    expect(isAllowedGlobal('ultralyticsx.nn', 'Conv')).toBe(false);
  });
});

describe('pickle VM: malformed and oversized input fails cleanly', () => {
  const cases: Array<[string, P.Bytes[], RegExp]> = [
    ['no STOP', [P.proto(2), P.int(1)], /without a STOP/],
    ['string longer than the data', [P.proto(2), P.strClaiming(0xfffffff0, 'abc'), P.STOP], /needs 4294967280 bytes but only \d+ remain/],
    ['memo read before write', [P.proto(2), P.binget(9), P.STOP], /memo key 9 used before it was set/],
    ['pop from empty stack', [P.proto(2), P.APPEND, P.STOP], /pop from an empty stack/],
    ['unknown opcode', [P.proto(2), [0xff], P.STOP], /unknown opcode 0xff/],
    ['newer protocol', [P.proto(9), P.NONE, P.STOP], /protocol 9 is newer than 5/],
    ['APPEND to a non-list', [P.proto(2), P.int(1), P.int(2), P.APPEND, P.STOP], /APPEND needs a list, got number/],
    ['values left over', [P.proto(2), P.int(1), P.int(2), P.STOP], /values left on the stack/],
    ['out-of-band buffers', [P.proto(5), [0x97], P.STOP], /out-of-band buffers/],
  ];
  for (const [label, parts, pattern] of cases) {
    it(label, () => expect(errorOf(() => run(...parts)).message).toMatch(pattern));
  }

  it('caps the stack and memo', () => {
    const many = P.pickleBytes(P.proto(2), P.MARK, ...Array.from({ length: 100 }, () => P.NONE), P.TUPLE, P.STOP);
    expect(errorOf(() => unpickle(many, env(), { maxStack: 50, maxMemo: 50 })).message).toMatch(/stack exceeds 50 values/);
    // A PUT far past the slots already set would make the memo huge for nothing: no pickler writes one.
    expect(errorOf(() => unpickle(P.pickleBytes(P.proto(2), P.NONE, [0x72, 0, 0, 0, 0x40], P.STOP), env())).message).toMatch(/memo index 1073741824 skips more than 65536 slots/);
    const memo = P.pickleBytes(P.proto(4), P.NONE, ...Array.from({ length: 100 }, () => P.MEMOIZE), P.STOP);
    expect(errorOf(() => unpickle(memo, env(), { maxStack: 1000, maxMemo: 50 })).message).toMatch(/memo exceeds 50 entries/);
  });

  it('large containers are built without argument-spreading limits', () => {
    const n = 300_000;
    const bytes = P.pickleBytes(P.proto(4), [0x8f], P.MARK, new Array<number>(n).fill(P.NONE[0]!), [0x90], P.STOP);
    expect((unpickle(bytes, env()) as PySet).items).toHaveLength(n);
  });

  it('deep nesting does not overflow the JS stack when converted', () => {
    const depth = 20_000;
    const bytes = P.pickleBytes(P.proto(2), ...Array.from({ length: depth }, () => P.EMPTY_LIST), ...Array.from({ length: depth - 1 }, () => P.APPEND), P.STOP);
    const js = JSON.stringify(pyToJs(unpickle(bytes, env())));
    expect(js).toContain('<too deep>');
  });
});
