/**
 * @module The inert values the pickle VM builds: plain data for Python scalars and containers, and
 * tagged records for allow-listed classes and numpy arrays. Nothing here can run code.
 *
 * Mapping: None → null; bool → boolean; int → number (or bigint beyond 2^53); float → number;
 * str → string; bytes/bytearray → Uint8Array; list → PyList (a JS array); tuple → PyTuple;
 * set/frozenset → PySet; dict → PyDict; allow-listed class instance → PyObject;
 * numpy.ndarray / numpy scalar → NdArray / NpScalar; numpy.dtype → NpDtype.
 */

/** A value built by the pickle VM. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyList
  | PyTuple
  | PySet
  | PyDict
  | PyObject
  | NdArray
  | NpScalar
  | NpDtype
  | PyGlobal;

/** A Python list. */
export type PyList = PyValue[];

/** A Python tuple (kept distinct from lists: sklearn uses both). */
export interface PyTuple {
  readonly kind: "tuple";
  readonly items: readonly PyValue[];
}

/** A Python set or frozenset. */
export interface PySet {
  readonly kind: "set";
  readonly items: readonly PyValue[];
}

/**
 * A Python dict. Keys are kept as values (not coerced to JS property names), so `__proto__` or
 * `constructor` keys are plain data and can never pollute a prototype.
 */
export interface PyDict {
  readonly kind: "dict";
  readonly map: Map<string | number | bigint | boolean | null, PyValue>;
  /** Keys that are not scalars (tuples): rare, kept in insertion order. */
  readonly otherEntries: [PyValue, PyValue][];
}

/** An instance of an allow-listed class (`sklearn.tree._classes.DecisionTreeClassifier`, …). */
export interface PyObject {
  readonly kind: "object";
  /** Module, e.g. `sklearn.ensemble._forest`. */
  readonly module: string;
  /** Class name, e.g. `RandomForestClassifier`. */
  readonly name: string;
  /** Constructor arguments (from NEWOBJ/REDUCE), when any. */
  readonly args: readonly PyValue[];
  /**
   * The `__setstate__`/`__dict__` state from BUILD: a PyDict for ordinary objects, or whatever the
   * class pickles (a tuple for some Cython types such as `sklearn.tree._tree.Tree`).
   */
  state: PyValue;
}

/** A reference to an allow-listed global that was never called (e.g. a class used as a value). */
export interface PyGlobal {
  readonly kind: "global";
  readonly module: string;
  readonly name: string;
}

/** A numpy dtype. */
export interface NpDtype {
  readonly kind: "dtype";
  /** Numpy type string, e.g. `<f8`, `<i8`, `|b1`, `|O`, `<U5`. */
  readonly str: string;
  /** For structured dtypes: fields in order with their dtypes and byte offsets. */
  readonly fields?: readonly { readonly name: string; readonly dtype: NpDtype; readonly offset: number }[];
  /** Item size in bytes. */
  readonly itemsize: number;
}

/** Typed storage for an ndarray's elements. */
export type NdData =
  | Float64Array
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | PyValue[];

/** A numpy array, decoded to native byte order. */
export interface NdArray {
  readonly kind: "ndarray";
  readonly dtype: NpDtype;
  readonly shape: readonly number[];
  /**
   * Elements in C (row-major) order. Numeric dtypes use the matching typed array; object arrays and
   * unicode/bytes arrays are a PyValue[]; structured arrays keep `data` empty and use `fields`.
   */
  readonly data: NdData;
  /** Structured arrays (tree nodes): one typed column per field, in C order. */
  readonly fields?: ReadonlyMap<string, NdData>;
}

/** A numpy scalar (`numpy.float64(1.5)`, `numpy.int64(3)`). */
export interface NpScalar {
  readonly kind: "scalar";
  readonly dtype: NpDtype;
  readonly value: number | bigint | boolean | string;
}
