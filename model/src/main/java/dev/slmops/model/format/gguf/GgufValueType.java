package dev.slmops.model.format.gguf;

/**
 * The metadata value types of GGUF ({@code gguf_type}), with their on-disk ids and, for fixed-size types,
 * their size in bytes. Strings are a uint64 byte length then UTF-8 bytes; arrays are a uint32 element type,
 * a uint64 count, then the elements.
 *
 * <p>How {@link GgufFile#metadata()} shows each as plain Java: every integer type as {@link Long} (uint64
 * values above {@code Long.MAX_VALUE} keep their 64 bits and so read as negative: use
 * {@link Long#toUnsignedString(long)}), FLOAT32 as {@link Float}, FLOAT64 as {@link Double}, BOOL as
 * {@link Boolean}, STRING as {@link String}, ARRAY as a {@link java.util.List} of those.
 */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, -1),
    ARRAY(9, -1),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    /** The id GGUF files store. */
    public final int id;
    /** Bytes of one value, or -1 for STRING and ARRAY, whose size depends on their contents. */
    public final int fixedSize;

    GgufValueType(int id, int fixedSize) {
        this.id = id;
        this.fixedSize = fixedSize;
    }

    /** The fewest bytes a value of this type takes: its fixed size, 8 (an empty string), 12 (an empty array). */
    public int minimumSize() {
        return switch (this) {
            case STRING -> 8;
            case ARRAY -> 12;
            default -> fixedSize;
        };
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** The type of an on-disk id, or null when the id is not a GGUF value type. */
    public static GgufValueType ofId(long id) {
        for (GgufValueType t : values()) {
            if (t.id == id) return t;
        }
        return null;
    }

    /**
     * Whether {@code v} (a long holding the value as {@link GgufFile#metadata()} shows it) fits this integer
     * type. UINT64 accepts every long: it holds the unsigned value's bits.
     */
    boolean fits(long v) {
        return switch (this) {
            case UINT8 -> v >= 0 && v <= 0xFFL;
            case INT8 -> v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
            case UINT16 -> v >= 0 && v <= 0xFFFFL;
            case INT16 -> v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
            case UINT32 -> v >= 0 && v <= 0xFFFF_FFFFL;
            case INT32 -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
            case UINT64, INT64 -> true;
            default -> throw new IllegalStateException(this + " is not an integer type");
        };
    }
}
