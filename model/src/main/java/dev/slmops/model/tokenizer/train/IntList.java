package dev.slmops.model.tokenizer.train;

import java.util.Arrays;

/** A growable int array. */
final class IntList {
    private int[] a;
    private int size;

    IntList(int capacity) {
        a = new int[Math.max(1, capacity)];
    }

    void add(int v) {
        if (size == a.length) a = Arrays.copyOf(a, a.length * 2);
        a[size++] = v;
    }

    int get(int i) {
        return a[i];
    }

    int size() {
        return size;
    }

    /** The last element, or -1 when empty. */
    int last() {
        return size == 0 ? -1 : a[size - 1];
    }
}
