package dev.slmops.testkit.fuzz;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A seeded byte-array mutation engine for fuzzing file readers, in the style of libFuzzer's mutators:
 * bit flips, random bytes, "interesting" integers written over 1/2/4/8-byte little-endian fields, truncation,
 * chunk deletion/duplication/insertion, and length-field inflation (a plausible length made huge).
 * Same seed, same sequence of mutants.
 */
public final class Mutator {
    private static final long[] INTERESTING = {
            0, 1, -1, 2, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 1023, 1024, 4095, 4096, 65535, 65536,
            0x7fff, 0x8000, 0x7fffffffL, 0x80000000L, 0xffffffffL, 0x100000000L, Long.MAX_VALUE, Long.MIN_VALUE,
            1L << 40, 1L << 62, -2, -128, -32768
    };

    private final SplittableRandom rng;
    private final int maxLength;

    /** @param maxLength mutants never grow beyond this many bytes */
    public Mutator(long seed, int maxLength) {
        this.rng = new SplittableRandom(seed);
        this.maxLength = maxLength;
    }

    /** One mutant of {@code input}: 1 to 4 stacked mutations. The input array is not modified. */
    public byte[] mutate(byte[] input) {
        byte[] b = input.clone();
        int rounds = 1 + rng.nextInt(4);
        for (int r = 0; r < rounds; r++) b = mutateOnce(b);
        return b;
    }

    private byte[] mutateOnce(byte[] b) {
        if (b.length == 0) return new byte[]{(byte) rng.nextInt(256)};
        return switch (rng.nextInt(9)) {
            case 0 -> flipBit(b);
            case 1 -> randomByte(b);
            case 2, 3 -> interestingInt(b);
            case 4 -> truncate(b);
            case 5 -> deleteChunk(b);
            case 6 -> duplicateChunk(b);
            case 7 -> insertRandom(b);
            default -> inflateLength(b);
        };
    }

    private byte[] flipBit(byte[] b) {
        int i = rng.nextInt(b.length);
        b[i] ^= (byte) (1 << rng.nextInt(8));
        return b;
    }

    private byte[] randomByte(byte[] b) {
        b[rng.nextInt(b.length)] = (byte) rng.nextInt(256);
        return b;
    }

    /** Overwrites a 1, 2, 4 or 8-byte little-endian field at a random offset with an interesting value. */
    private byte[] interestingInt(byte[] b) {
        int width = 1 << rng.nextInt(4);
        if (b.length < width) return randomByte(b);
        int at = rng.nextInt(b.length - width + 1);
        // Fields in binary headers are usually aligned: prefer aligned offsets half of the time.
        if (rng.nextBoolean()) at -= at % width;
        writeLe(b, at, width, INTERESTING[rng.nextInt(INTERESTING.length)]);
        return b;
    }

    /** Finds a small little-endian uint32/uint64 (a likely length or count) and makes it huge or off by a bit. */
    private byte[] inflateLength(byte[] b) {
        int width = rng.nextBoolean() ? 8 : 4;
        if (b.length < width) return randomByte(b);
        for (int attempt = 0; attempt < 16; attempt++) {
            int at = rng.nextInt(b.length - width + 1);
            long v = readLe(b, at, width);
            if (v > 0 && v < 1 << 20) {
                long nv = switch (rng.nextInt(4)) {
                    case 0 -> v + 1;
                    case 1 -> v - 1;
                    case 2 -> v * (1L << (1 + rng.nextInt(30)));
                    default -> width == 8 ? Long.MAX_VALUE - rng.nextInt(16) : 0xffffffffL - rng.nextInt(16);
                };
                writeLe(b, at, width, nv);
                return b;
            }
        }
        return interestingInt(b);
    }

    private byte[] truncate(byte[] b) {
        return Arrays.copyOf(b, rng.nextInt(b.length));
    }

    private byte[] deleteChunk(byte[] b) {
        int from = rng.nextInt(b.length);
        int len = 1 + rng.nextInt(Math.min(64, b.length - from));
        byte[] out = new byte[b.length - len];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(b, from + len, out, from, b.length - from - len);
        return out;
    }

    private byte[] duplicateChunk(byte[] b) {
        int from = rng.nextInt(b.length);
        int len = 1 + rng.nextInt(Math.min(64, b.length - from));
        if (b.length + len > maxLength) return randomByte(b);
        int to = rng.nextInt(b.length + 1);
        byte[] out = new byte[b.length + len];
        System.arraycopy(b, 0, out, 0, to);
        System.arraycopy(b, from, out, to, len);
        System.arraycopy(b, to, out, to + len, b.length - to);
        return out;
    }

    private byte[] insertRandom(byte[] b) {
        int len = 1 + rng.nextInt(16);
        if (b.length + len > maxLength) return randomByte(b);
        int to = rng.nextInt(b.length + 1);
        byte[] out = new byte[b.length + len];
        System.arraycopy(b, 0, out, 0, to);
        for (int i = 0; i < len; i++) out[to + i] = (byte) rng.nextInt(256);
        System.arraycopy(b, to, out, to + len, b.length - to);
        return out;
    }

    private static void writeLe(byte[] b, int at, int width, long v) {
        for (int i = 0; i < width; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    private static long readLe(byte[] b, int at, int width) {
        long v = 0;
        for (int i = 0; i < width; i++) v |= (b[at + i] & 0xffL) << (8 * i);
        return v;
    }
}
