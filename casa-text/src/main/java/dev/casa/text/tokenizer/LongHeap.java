package dev.casa.text.tokenizer;

import java.util.Arrays;

/** A binary min-heap of longs (no boxing in the BPE merge loop). */
final class LongHeap {
    private long[] heap;
    private int size;

    LongHeap(int capacity) { heap = new long[Math.max(4, capacity)]; }

    boolean isEmpty() { return size == 0; }

    /** Adds without ordering; call {@link #heapify} before the next pop. */
    void append(long v) {
        if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
        heap[size++] = v;
    }

    /** Restores the heap order in O(n) after {@link #append}s. */
    void heapify() {
        for (int i = (size >>> 1) - 1; i >= 0; i--) siftDown(i, heap[i]);
    }

    void push(long v) {
        if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= v) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = v;
    }

    long pop() {
        long top = heap[0];
        long last = heap[--size];
        if (size > 0) siftDown(0, last);
        return top;
    }

    private void siftDown(int i, long v) {
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= v) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = v;
    }
}
