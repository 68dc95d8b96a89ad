package dev.casa.core.tensor;

/** Element types of safetensors files. Only the float types can be read as float32. */
public enum DType {
    F32(4, true), F16(2, true), BF16(2, true),
    F64(8, false), I8(1, false), U8(1, false), I16(2, false), U16(2, false),
    I32(4, false), U32(4, false), I64(8, false), U64(8, false), BOOL(1, false);

    private final int byteSize;
    private final boolean readableAsFloat;

    DType(int byteSize, boolean readableAsFloat) {
        this.byteSize = byteSize;
        this.readableAsFloat = readableAsFloat;
    }

    public int byteSize() { return byteSize; }

    /** True for F32, F16 and BF16: the types the kernels widen to float32. */
    public boolean readableAsFloat() { return readableAsFloat; }
}
