package dev.slmops.testkit.llama;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal GGUF v3 writer for test inputs (LoRA adapters, hostile files): string / uint32 / float32 metadata
 * and F32 tensors, 32-byte alignment. Written from the GGUF spec; just enough for the tests of this package.
 */
final class TinyGguf {
    private static final int TYPE_UINT32 = 4, TYPE_FLOAT32 = 6, TYPE_STRING = 8;
    private static final int ALIGN = 32;

    private final List<byte[]> kvs = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final List<long[]> shapes = new ArrayList<>(); // ne[], fastest dimension first (GGUF order)
    private final List<float[]> datas = new ArrayList<>();

    TinyGguf str(String key, String value) {
        Bytes b = new Bytes().string(key).u32(TYPE_STRING).string(value);
        kvs.add(b.toArray());
        return this;
    }

    TinyGguf u32(String key, int value) {
        kvs.add(new Bytes().string(key).u32(TYPE_UINT32).u32(value).toArray());
        return this;
    }

    TinyGguf f32(String key, float value) {
        kvs.add(new Bytes().string(key).u32(TYPE_FLOAT32).f32(value).toArray());
        return this;
    }

    /** An F32 tensor; {@code ne} fastest dimension first, {@code data.length == prod(ne)}. */
    TinyGguf tensor(String name, long[] ne, float[] data) {
        long count = 1;
        for (long d : ne) count *= d;
        if (count != data.length) throw new IllegalArgumentException(name + ": " + data.length + " values for shape of " + count);
        names.add(name);
        shapes.add(ne);
        datas.add(data);
        return this;
    }

    byte[] toBytes() {
        Bytes out = new Bytes();
        out.raw("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(3).u64(names.size()).u64(kvs.size());
        for (byte[] kv : kvs) out.raw(kv);
        long offset = 0;
        for (int i = 0; i < names.size(); i++) {
            out.string(names.get(i)).u32(shapes.get(i).length);
            for (long d : shapes.get(i)) out.u64(d);
            out.u32(0 /* GGML_TYPE_F32 */).u64(offset);
            offset = align(offset + 4L * datas.get(i).length);
        }
        out.pad();
        for (float[] d : datas) {
            for (float v : d) out.f32(v);
            out.pad();
        }
        return out.toArray();
    }

    void write(Path file) throws IOException {
        Files.write(file, toBytes());
    }

    private static long align(long n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    private static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Bytes raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Bytes u32(int v) {
            out.write(scratch.clear().putInt(v).array(), 0, 4);
            return this;
        }

        Bytes u64(long v) {
            out.write(scratch.clear().putLong(v).array(), 0, 8);
            return this;
        }

        Bytes f32(float v) {
            out.write(scratch.clear().putFloat(v).array(), 0, 4);
            return this;
        }

        Bytes string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u64(b.length).raw(b);
        }

        Bytes pad() {
            while (out.size() % ALIGN != 0) out.write(0);
            return this;
        }

        byte[] toArray() {
            return out.toByteArray();
        }
    }
}
