package dev.casa.core.tensor;

/**
 * Element types of safetensors files, named exactly as in the safetensors header. Only the float
 * types F32, F16 and BF16 can be read as float32; the others are recognised and reported.
 */
public enum DType {
    F32(4, true), F16(2, true), BF16(2, true),
    F64(8, false), I8(1, false), U8(1, false), I16(2, false), U16(2, false),
    I32(4, false), U32(4, false), I64(8, false), U64(8, false), BOOL(1, false),
    F8_E4M3(1, false), F8_E5M2(1, false);

    private final int byteSize;
    private final boolean readableAsFloat;

    DType(int byteSize, boolean readableAsFloat) {
        this.byteSize = byteSize;
        this.readableAsFloat = readableAsFloat;
    }

    public int byteSize() { return byteSize; }

    /** The dtype named {@code name} in a safetensors header, or null if there is none. */
    public static DType fromSafetensorsName(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) return t;
        }
        return null;
    }

    /** True for F32, F16 and BF16: the types the kernels widen to float32. */
    public boolean readableAsFloat() { return readableAsFloat; }
}
