package dev.slmops.model.format.gguf;

import java.util.List;

/**
 * The full GGUF type of one metadata value, kept beside the plain Java value so that reading a file and
 * writing it back reproduces its bytes: a {@code List<Long>} could have been UINT8 or INT64 on disk.
 */
public sealed interface GgufType {

    /** A single value of a non-array type. */
    record Scalar(GgufValueType valueType) implements GgufType {
        public Scalar {
            if (valueType == GgufValueType.ARRAY) throw new IllegalArgumentException("ARRAY is not a scalar type");
        }

        @Override
        public String toString() {
            return valueType.name();
        }
    }

    /** An array whose elements all have type {@code element} (itself an array type for nested arrays). */
    record Array(GgufType element) implements GgufType {
        @Override
        public String toString() {
            return "ARRAY of " + element;
        }
    }

    /**
     * An array of arrays whose inner arrays do not share one type (GGUF allows it), or an empty array of
     * arrays: one type per element, all of them array types.
     */
    record MixedArray(List<GgufType> elements) implements GgufType {
        public MixedArray {
            elements = List.copyOf(elements);
        }

        @Override
        public String toString() {
            return "ARRAY of arrays " + elements;
        }
    }

    /** The on-disk value type: ARRAY for both array kinds. */
    default GgufValueType valueType() {
        return switch (this) {
            case Scalar s -> s.valueType();
            case Array a -> GgufValueType.ARRAY;
            case MixedArray m -> GgufValueType.ARRAY;
        };
    }

    static GgufType of(GgufValueType t) {
        return new Scalar(t);
    }

    static GgufType arrayOf(GgufValueType element) {
        return new Array(new Scalar(element));
    }

    GgufType UINT8 = of(GgufValueType.UINT8);
    GgufType INT8 = of(GgufValueType.INT8);
    GgufType UINT16 = of(GgufValueType.UINT16);
    GgufType INT16 = of(GgufValueType.INT16);
    GgufType UINT32 = of(GgufValueType.UINT32);
    GgufType INT32 = of(GgufValueType.INT32);
    GgufType UINT64 = of(GgufValueType.UINT64);
    GgufType INT64 = of(GgufValueType.INT64);
    GgufType FLOAT32 = of(GgufValueType.FLOAT32);
    GgufType FLOAT64 = of(GgufValueType.FLOAT64);
    GgufType BOOL = of(GgufValueType.BOOL);
    GgufType STRING = of(GgufValueType.STRING);
}
