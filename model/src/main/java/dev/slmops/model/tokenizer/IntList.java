package dev.slmops.model.tokenizer;

import java.util.Arrays;

/** A growable int array: the token and offset buffers of the hot path, without boxing. */
final class IntList {
    int[] a;
    int size;

    IntList(int capacity) {
        a = new int[Math.max(4, capacity)];
    }

    void add(int v) {
        if (size == a.length) a = Arrays.copyOf(a, a.length * 2);
        a[size++] = v;
    }

    void addAll(int[] vs) {
        addAll(vs, vs.length);
    }

    void addAll(int[] vs, int n) {
        if (size + n > a.length) a = Arrays.copyOf(a, Math.max(a.length * 2, size + n));
        System.arraycopy(vs, 0, a, size, n);
        size += n;
    }

    void clear() {
        size = 0;
    }

    int[] toArray() {
        return Arrays.copyOf(a, size);
    }
}
