package dev.casa.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes shared by the weight formats and the matmul kernels: the widest float vector
 * the CPU runs natively (256-bit on AVX2, 512-bit on AVX-512), capped at 512 bits, and the
 * narrower integer species that hold the same number of lanes, so an 8- or 16-bit weight widens
 * lane for lane. Run with {@code -XX:MaxVectorSize=32} to get the AVX2 shapes on an AVX-512 CPU.
 */
public final class Simd {
    private Simd() {}

    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() > 512
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    /** Floats per vector: 8 or 16. */
    public static final int LANES = F.length();
    public static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** Shorts with {@link #LANES} lanes (half the width). */
    public static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    /** Bytes with {@link #LANES} lanes (a quarter of the width). */
    public static final VectorSpecies<Byte> B =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));
}
