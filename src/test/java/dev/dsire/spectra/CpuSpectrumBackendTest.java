package dev.dsire.spectra;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The pool's scheduling: every index exactly once, work spread over the threads, failures carried out. */
class CpuSpectrumBackendTest {
    @Test
    void everyIndexRunsExactlyOnceOnThePoolThreads() {
        for (int threads : new int[] {1, 2, 3}) {
            try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(threads)) {
                for (int count : new int[] {0, 1, 2, 7, 500}) {
                    AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(1, count));
                    ConcurrentHashMap<String, Boolean> names = new ConcurrentHashMap<>();
                    cpu.forEach(count, i -> {
                        seen.incrementAndGet(i);
                        names.put(Thread.currentThread().getName(), true);
                        Thread.onSpinWait();
                    });
                    for (int i = 0; i < count; i++) {
                        assertEquals(1, seen.get(i), threads + " threads, " + count + " tasks: index " + i);
                    }
                    assertTrue(names.size() <= threads, names.keySet().toString());
                }
            }
        }
    }

    @Test
    void slowTasksDoNotHoldBackTheRest() {
        // one task of each thread's first pick sleeps: with work taken one index at a time the other
        // thread runs every remaining task, so the sleeper's thread runs exactly that one
        try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(2)) {
            ConcurrentHashMap<String, AtomicInteger> perThread = new ConcurrentHashMap<>();
            cpu.forEach(40, i -> {
                perThread.computeIfAbsent(Thread.currentThread().getName(), k -> new AtomicInteger()).incrementAndGet();
                if (i == 0) {
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            int total = perThread.values().stream().mapToInt(AtomicInteger::get).sum();
            assertEquals(40, total);
            int fewest = perThread.values().stream().mapToInt(AtomicInteger::get).min().orElseThrow();
            assertTrue(perThread.size() == 1 || fewest == 1, "the thread that slept took more: " + perThread);
        }
    }

    @Test
    void theFirstFailureIsRethrownAfterEveryThreadHasStopped() {
        try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(2)) {
            AtomicInteger running = new AtomicInteger(), ran = new AtomicInteger();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> cpu.forEach(1000, i -> {
                running.incrementAndGet();
                try {
                    ran.incrementAndGet();
                    if (i == 3) {
                        throw new IllegalStateException("task 3");
                    }
                    Thread.sleep(1);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                } finally {
                    running.decrementAndGet();
                }
            }));
            assertEquals("task 3", e.getMessage());
            assertEquals(0, running.get(), "no task is still running when forEach returns");
            assertTrue(ran.get() < 1000, "the threads stopped taking tasks: " + ran.get());
            AssertionError err = assertThrows(AssertionError.class, () -> cpu.forEach(10, i -> {
                throw new AssertionError("an error is rethrown as itself");
            }));
            assertEquals("an error is rethrown as itself", err.getMessage());
        }
    }

    @Test
    void anInterruptedCallerStopsTheThreadsAndWaitsForTheRunningTasks() throws Exception {
        try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(2)) {
            AtomicInteger running = new AtomicInteger(), ran = new AtomicInteger();
            Thread caller = Thread.currentThread();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> cpu.forEach(1000, i -> {
                running.incrementAndGet();
                try {
                    if (ran.incrementAndGet() == 5) {
                        caller.interrupt();
                    }
                    Thread.sleep(2);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                } finally {
                    running.decrementAndGet();
                }
            }));
            assertEquals("interrupted", e.getMessage());
            assertTrue(Thread.interrupted(), "the caller's interrupt status is kept");
            assertEquals(0, running.get(), "no task is still running when forEach returns");
            assertTrue(ran.get() < 1000, "the threads stopped taking tasks: " + ran.get());
        }
    }
}
