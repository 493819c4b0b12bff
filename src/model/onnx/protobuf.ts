/**
 * The few pieces of ONNX's protobuf schema (onnx/onnx.proto, proto2, IR version 8) that an LSTM
 * classifier needs, and a minimal protobuf wire-format encoder for them. No dependency: ONNX is a
 * plain protobuf schema, and this writes exactly what onnx.proto's field numbers say:
 *
 *   ModelProto      ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7,
 *                   opset_import 8
 *   OperatorSetId   domain 1, version 2
 *   GraphProto      node 1, name 2, initializer 5, input 11, output 12
 *   NodeProto       input 1, output 2, name 3, op_type 4, attribute 5
 *   AttributeProto  name 1, f 2, i 3, s 4, floats 7, ints 8, strings 9, type 20
 *   TensorProto     dims 1, data_type 2, name 8, raw_data 9 (little-endian)
 *   ValueInfoProto  name 1, type 2 → TypeProto tensor_type 1 → elem_type 1, shape 2
 *                   → TensorShapeProto dim 1 → dim_value 1 | dim_param 2
 *
 * Repeated scalars are written unpacked (proto2's default; every parser accepts both).
 */

export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

const enum Wire {
  Varint = 0,
  Bytes = 2,
  Fixed32 = 5,
}

/** Appends protobuf fields to a growing buffer. */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private varint(v: bigint): void {
    // Negative int64 values are two's complement in 10 bytes, as protobuf specifies.
    let x = BigInt.asUintN(64, v);
    this.reserve(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  private tag(field: number, wire: Wire): void {
    this.varint(BigInt((field << 3) | wire));
  }

  int(field: number, v: number | bigint): this {
    this.tag(field, Wire.Varint);
    this.varint(BigInt(v));
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, Wire.Fixed32);
    this.reserve(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, Wire.Bytes);
    this.varint(BigInt(b.byteLength));
    this.reserve(b.byteLength);
    this.buf.set(b, this.len);
    this.len += b.byteLength;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  message(field: number, m: Uint8Array): this {
    return this.bytes(field, m);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const utf8 = new TextEncoder();

export type Attribute =
  | { name: string; int: number }
  | { name: string; float: number }
  | { name: string; string: string }
  | { name: string; ints: readonly number[] }
  | { name: string; floats: readonly number[] }
  | { name: string; strings: readonly string[] };

export interface NodeSpec {
  op: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: readonly Attribute[];
}

export interface TensorSpec {
  name: string;
  dims: readonly number[];
  /** float32 (ONNX_FLOAT) or int64 (ONNX_INT64) values. */
  data: Float32Array | BigInt64Array;
}

export interface ValueSpec {
  name: string;
  elemType: number;
  /** A number is a fixed size, a string a symbolic one (e.g. "batch"). */
  shape: readonly (number | string)[];
}

export interface ModelSpec {
  irVersion: number;
  opset: number;
  producer: { name: string; version: string };
  doc: string;
  graph: { name: string; nodes: readonly NodeSpec[]; initializers: readonly TensorSpec[]; inputs: readonly ValueSpec[]; outputs: readonly ValueSpec[] };
}

// AttributeProto.AttributeType
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

function attribute(a: Attribute): Uint8Array {
  const w = new Writer().string(1, a.name);
  if ('int' in a) w.int(3, a.int).int(20, ATTR.INT);
  else if ('float' in a) w.float(2, a.float).int(20, ATTR.FLOAT);
  else if ('string' in a) w.string(4, a.string).int(20, ATTR.STRING);
  else if ('ints' in a) {
    for (const v of a.ints) w.int(8, v);
    w.int(20, ATTR.INTS);
  } else if ('floats' in a) {
    for (const v of a.floats) w.float(7, v);
    w.int(20, ATTR.FLOATS);
  } else {
    for (const v of a.strings) w.string(9, v);
    w.int(20, ATTR.STRINGS);
  }
  return w.finish();
}

function node(n: NodeSpec): Uint8Array {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.op);
  for (const a of n.attributes ?? []) w.message(5, attribute(a));
  return w.finish();
}

function tensor(t: TensorSpec): Uint8Array {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) throw new RangeError(`tensor ${t.name}: dims [${t.dims.join(', ')}] hold ${count} values, data has ${t.data.length}`);
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.data instanceof Float32Array ? ONNX_FLOAT : ONNX_INT64).string(8, t.name);
  // raw_data is little-endian; copy through a DataView so the byte order never depends on the host.
  const raw = new Uint8Array(t.data.length * (t.data instanceof Float32Array ? 4 : 8));
  const view = new DataView(raw.buffer);
  if (t.data instanceof Float32Array) t.data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else t.data.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return w.bytes(9, raw).finish();
}

function valueInfo(v: ValueSpec): Uint8Array {
  const shape = new Writer();
  for (const d of v.shape) shape.message(1, typeof d === 'number' ? new Writer().int(1, d).finish() : new Writer().string(2, d).finish());
  const tensorType = new Writer().int(1, v.elemType).message(2, shape.finish()).finish();
  const type = new Writer().message(1, tensorType).finish();
  return new Writer().string(1, v.name).message(2, type).finish();
}

/** The serialized ModelProto. */
export function encodeModel(m: ModelSpec): Uint8Array {
  const g = new Writer();
  for (const n of m.graph.nodes) g.message(1, node(n));
  g.string(2, m.graph.name);
  for (const t of m.graph.initializers) g.message(5, tensor(t));
  for (const v of m.graph.inputs) g.message(11, valueInfo(v));
  for (const v of m.graph.outputs) g.message(12, valueInfo(v));
  const opset = new Writer().string(1, '').int(2, m.opset).finish();
  return new Writer()
    .int(1, m.irVersion)
    .string(2, m.producer.name)
    .string(3, m.producer.version)
    .string(6, m.doc)
    .message(7, g.finish())
    .message(8, opset)
    .finish();
}
