package dev.slmops.workflows.eval;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The base model's log-probabilities saved for a later KL-divergence run, in llama-perplexity's
 * {@code --kl-divergence-base} format, so files move between slmops and llama.cpp both ways. Little-endian:
 * <pre>
 *   char[8]  "_logits_"
 *   uint32   n_ctx
 *   int32    n_vocab
 *   int32    n_chunk
 *   int32    tokens[n_ctx * n_chunk]          the evaluation text's tokens (no BOS substituted)
 *   then per chunk, (n_ctx - 1 - n_ctx/2) rows of {@link BaseLogProbs#rowWords} uint16 words
 * </pre>
 */
public final class LogitsFile {
    static final byte[] MAGIC = "_logits_".getBytes(StandardCharsets.US_ASCII);

    private LogitsFile() {
    }

    /** Header and tokens of a file: the windows to evaluate the compared model on. */
    public record Header(int ctx, int vocab, EvalChunks chunks) {
    }

    /** Writes a file chunk by chunk into a temporary sibling; {@link #commit} renames it into place. */
    public static final class Writer implements AutoCloseable {
        private final Path target, temp;
        private final FileChannel ch;
        private final int V, rowsPerChunk;
        private boolean committed;

        public Writer(Path target, EvalChunks chunks, int V) throws IOException {
            this.target = target;
            Path dir = target.toAbsolutePath().getParent();
            if (dir != null) Files.createDirectories(dir);
            this.temp = Files.createTempFile(dir, target.getFileName().toString(), ".part");
            this.ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            this.V = V;
            this.rowsPerChunk = chunks.scoredPerChunk();
            ByteBuffer h = le(20 + 4L * chunks.tokens().length);
            h.put(MAGIC).putInt(chunks.ctx()).putInt(V).putInt(chunks.chunks());
            for (int t : chunks.tokens()) h.putInt(t);
            writeAll(h.flip());
        }

        /** One chunk's rows, [rowsPerChunk * rowWords(V)] words. */
        public void writeChunk(short[] rows) throws IOException {
            if (rows.length != rowsPerChunk * BaseLogProbs.rowWords(V)) throw new IllegalArgumentException("bad row block");
            ByteBuffer b = le(2L * rows.length);
            b.asShortBuffer().put(rows);
            writeAll(b);
        }

        private void writeAll(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) ch.write(b);
        }

        public void commit() throws IOException {
            ch.force(false);
            ch.close();
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            committed = true;
        }

        @Override
        public void close() throws IOException {
            if (!committed) {
                ch.close();
                Files.deleteIfExists(temp);
            }
        }
    }

    /** Reads a file's header, then its chunks in order. */
    public static final class Reader implements AutoCloseable {
        private final Path file;
        private final FileChannel ch;
        private final Header header;
        private final int rowsPerChunk;

        public Reader(Path file) throws IOException {
            this.file = file;
            if (!Files.isRegularFile(file)) throw new IOException("base logits file " + file + " does not exist");
            this.ch = FileChannel.open(file, StandardOpenOption.READ);
            try {
                ByteBuffer h = readFully(20, "header");
                byte[] magic = new byte[8];
                h.get(magic);
                if (!java.util.Arrays.equals(magic, MAGIC)) {
                    throw new IOException(file + " is not a base logits file (no \"_logits_\" magic): write one with "
                            + "slmops compare --save-base-logits or llama-perplexity --kl-divergence-base");
                }
                int ctx = h.getInt(), vocab = h.getInt(), nChunk = h.getInt();
                if (ctx < 4 || vocab < 1 || nChunk < 1) {
                    throw new IOException(file + ": bad header (n_ctx " + ctx + ", n_vocab " + vocab + ", n_chunk " + nChunk + ")");
                }
                long expected = 20 + 4L * ctx * nChunk + 2L * nChunk * (ctx - 1 - ctx / 2) * BaseLogProbs.rowWords(vocab);
                if (ch.size() != expected) {
                    throw new IOException(file + " has " + ch.size() + " bytes, its header (n_ctx " + ctx + ", n_vocab "
                            + vocab + ", n_chunk " + nChunk + ") says " + expected + ": truncated or not a logits file");
                }
                ByteBuffer tb = readFully(4L * ctx * nChunk, "tokens");
                int[] tokens = new int[ctx * nChunk];
                tb.asIntBuffer().get(tokens);
                this.header = new Header(ctx, vocab, new EvalChunks(tokens, ctx, nChunk, -1));
                this.rowsPerChunk = ctx - 1 - ctx / 2;
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }

        public Header header() {
            return header;
        }

        /** The next chunk's rows, [rowsPerChunk * rowWords(V)] words. */
        public short[] readChunk() throws IOException {
            short[] rows = new short[rowsPerChunk * BaseLogProbs.rowWords(header.vocab())];
            readFully(2L * rows.length, "log-probabilities").asShortBuffer().get(rows);
            return rows;
        }

        private ByteBuffer readFully(long n, String what) throws IOException {
            ByteBuffer b = le(n);
            while (b.hasRemaining()) {
                if (ch.read(b) < 0) throw new IOException(file + ": ends inside the " + what);
            }
            return b.flip();
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private static ByteBuffer le(long n) {
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("block of " + n + " bytes is too large");
        return ByteBuffer.allocate((int) n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
