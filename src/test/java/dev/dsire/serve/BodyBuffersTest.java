package dev.dsire.serve;

import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.lora.LoraException;
import dev.dsire.lora.LoraReader;
import dev.dsire.safetensors.SafetensorsException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pool request bodies are read into: never more than its budget, reused, and freed to make room. */
class BodyBuffersTest {
    private static final long MB = BodyBuffers.STEP;

    @Test
    void neverHoldsMoreThanItsBudget() {
        BodyBuffers pool = new BodyBuffers(3 * MB);
        BodyBuffers.Lease a = pool.take(MB + 1); // rounds up to 2 MB
        assertNotNull(a);
        assertEquals(MB + 1, a.segment().byteSize());
        assertEquals(2 * MB, pool.allocated());
        assertNull(pool.take(2 * MB), "no room: the caller spools to disk");
        BodyBuffers.Lease b = pool.take(MB);
        assertNotNull(b);
        assertNull(pool.take(1));
        assertNull(pool.take(4 * MB), "larger than the whole budget");
        assertEquals(3 * MB, pool.inUse());
        a.giveBack();
        b.giveBack();
        assertEquals(0, pool.inUse());
        assertEquals(3 * MB, pool.allocated(), "kept for the next request");
        assertThrows(IllegalStateException.class, a::giveBack);
        pool.close();
        assertEquals(0, pool.allocated());
    }

    @Test
    void reusesAnIdleBufferAndFreesIdleOnesForALargerOne() {
        BodyBuffers pool = new BodyBuffers(4 * MB);
        BodyBuffers.Lease a = pool.take(MB);
        a.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 7);
        MemorySegment first = a.segment();
        a.giveBack();
        BodyBuffers.Lease again = pool.take(100);
        assertEquals(first.address(), again.segment().address(), "the same buffer, no new allocation");
        assertEquals(100, again.segment().byteSize(), "only the request's bytes are visible");
        again.giveBack();
        BodyBuffers.Lease big = pool.take(4 * MB); // the idle 1 MB buffer is freed to make room
        assertNotNull(big);
        assertEquals(4 * MB, pool.allocated());
        big.giveBack();
        assertNull(new BodyBuffers(0).take(1), "--memory 0: every body is spooled");
    }

    @TempDir
    Path dir;

    @Test
    void anAdapterInMemoryIsRefusedAsTheSameFileOnDisk() throws Exception {
        byte[][] bodies = {
            {(byte) 0x80, 2, 'c', 'x', 0, 0, 0, 0, 0}, // pickle protocol 2
            {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}, // torch.save's zip
            {1, 2, 3}, // shorter than a header length
            {2, 0, 0, 0, 0, 0, 0, 0, '{', '}'}, // a header and no tensors
        };
        for (byte[] body : bodies) {
            Path f = Files.write(dir.resolve("a.safetensors"), body);
            RuntimeException disk = assertThrows(RuntimeException.class, () -> LoraReader.open(f).close());
            RuntimeException memory = assertThrows(RuntimeException.class, () -> LoraReader.open(f, MemorySegment.ofArray(body)).close());
            assertEquals(disk.getClass(), memory.getClass());
            assertTrue(disk instanceof LoraException || disk instanceof SafetensorsException, disk.toString());
            assertEquals(disk.getMessage(), memory.getMessage());
        }
        Path pt = dir.resolve("a.pt");
        assertEquals(assertThrows(LoraException.class, () -> LoraReader.open(Files.write(pt, new byte[] {1})).close()).getMessage(),
                assertThrows(LoraException.class, () -> LoraReader.open(pt, MemorySegment.ofArray(new byte[] {1})).close()).getMessage(),
                "a pickle's name is refused before its bytes are read");
    }
}
