package ggufc.runtime;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * llama-perplexity's base-logits file ({@code --save-all-logits} / {@code --kl-divergence-base}),
 * little endian, exactly as {@code tools/perplexity/perplexity.cpp} writes and reads it:
 * <pre>
 *   char     magic[8] = "_logits_"
 *   uint32   n_ctx
 *   int32    n_vocab
 *   int32    n_chunk
 *   int32    tokens[n_chunk * n_ctx]          the text's tokens (no BOS substituted into chunks after the first)
 *   then per chunk, n_ctx - 1 - n_ctx/2 rows (the scored positions n_ctx/2 .. n_ctx-2), each of
 *   nv = 2*((n_vocab+1)/2) + 4 uint16:
 *     float32  scale, float32 min_log_prob  (the first 4 uint16)
 *     uint16   q[n_vocab]                     log p[i] = scale*q[i] + min_log_prob
 *     uint16   0                              (only when n_vocab is odd)
 * </pre>
 * Log-probabilities below {@code max - 16} (in logit units) are clamped to the minimum (q = 0).
 */
public final class BaseLogitsFile {
    public static final byte[] MAGIC = "_logits_".getBytes(StandardCharsets.US_ASCII);

    private BaseLogitsFile() {}

    /** uint16 values per row: the two floats, the vocab rounded up to even. */
    public static int rowLength(int nVocab) { return 2 * ((nVocab + 1) / 2) + 4; }

    /** Rows per chunk: positions n_ctx/2 .. n_ctx-2. */
    public static int rowsPerChunk(int nCtx) { return nCtx - 1 - nCtx / 2; }

    /** llama.cpp's nearest_int: round to nearest, ties to even, through the float mantissa. */
    static int nearestInt(float f) {
        float v = f + 12582912.f;
        return (Float.floatToRawIntBits(v) & 0x007fffff) - 0x00400000;
    }

    /**
     * One row as llama-perplexity stores it ({@code log_softmax(n_vocab, logits, log_prob, tok)}):
     * fills {@code row} (length {@link #rowLength}) and returns the negative log-likelihood of {@code tok}
     * as that function computes it (float max + float log of the double sum, minus the token's logit).
     */
    public static double quantizeRow(float[] logits, int nVocab, short[] row, int tok) {
        float max = logits[0], min = logits[0];
        for (int i = 1; i < nVocab; i++) {
            max = Math.max(max, logits[i]);
            min = Math.min(min, logits[i]);
        }
        min = Math.max(min, max - 16);
        double sumExp = 0;
        for (int i = 0; i < nVocab; i++) sumExp += (float) Math.exp(logits[i] - max);
        float logSumExp = (float) Math.log(sumExp);
        float minLogProb = min - max - logSumExp;
        float scale = (max - min) / 65535.f;
        int s = Float.floatToRawIntBits(scale), m = Float.floatToRawIntBits(minLogProb);
        row[0] = (short) s;
        row[1] = (short) (s >>> 16);
        row[2] = (short) m;
        row[3] = (short) (m >>> 16);
        if (scale != 0) {
            float inv = 1 / scale;
            for (int i = 0; i < nVocab; i++) row[4 + i] = (short) (logits[i] > min ? nearestInt(inv * (logits[i] - min)) : 0);
        } else {
            for (int i = 0; i < nVocab; i++) row[4 + i] = 0;
        }
        return max + logSumExp - logits[tok];
    }

    static float scale(short[] row) { return Float.intBitsToFloat((row[0] & 0xffff) | (row[1] << 16)); }

    static float minLogProb(short[] row) { return Float.intBitsToFloat((row[2] & 0xffff) | (row[3] << 16)); }

    /** The log-probability of token {@code i} in a stored row. */
    public static float logProb(short[] row, int i) { return scale(row) * (row[4 + i] & 0xffff) + minLogProb(row); }

    /** Writes a base file: the header and tokens first, then one chunk of rows at a time. */
    public static final class Writer implements AutoCloseable {
        private final Path path;
        private final OutputStream out;
        private final int nCtx, nVocab, nChunk;
        private int chunksWritten;

        /** Chunks written so far (a complete file has n_chunk). */
        public int chunksWritten() { return chunksWritten; }

        public Writer(Path path, int nCtx, int nVocab, int nChunk, int[] tokens) {
            this.path = path;
            this.nCtx = nCtx;
            this.nVocab = nVocab;
            this.nChunk = nChunk;
            try {
                out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 16);
                ByteBuffer b = ByteBuffer.allocate(8 + 12 + 4 * nChunk * nCtx).order(ByteOrder.LITTLE_ENDIAN);
                b.put(MAGIC).putInt(nCtx).putInt(nVocab).putInt(nChunk);
                for (int i = 0; i < nChunk * nCtx; i++) b.putInt(tokens[i]);
                out.write(b.array());
            } catch (IOException e) {
                throw new UncheckedIOException(path + ": cannot write (" + e.getMessage() + ")", e);
            }
        }

        /** One chunk's rows, {@link #rowsPerChunk} of {@link #rowLength} each. */
        public void writeChunk(short[][] rows) {
            if (rows.length != rowsPerChunk(nCtx)) throw new IllegalArgumentException("a chunk has " + rowsPerChunk(nCtx) + " rows, got " + rows.length);
            int nv = rowLength(nVocab);
            ByteBuffer b = ByteBuffer.allocate(2 * nv * rows.length).order(ByteOrder.LITTLE_ENDIAN);
            for (short[] r : rows) for (int i = 0; i < nv; i++) b.putShort(r[i]);
            try {
                out.write(b.array());
            } catch (IOException e) {
                throw new UncheckedIOException(path + ": cannot write (" + e.getMessage() + ")", e);
            }
            chunksWritten++;
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException(path + ": cannot write (" + e.getMessage() + ")", e);
            }
        }
    }

    /** Reads a base file: the header and tokens on open, then one chunk of rows at a time. */
    public static final class Reader implements AutoCloseable {
        private final Path path;
        private final InputStream in;
        private final int nCtx, nVocab, nChunk;
        private final int[] tokens;
        private int chunksRead;

        /** Opens {@code path}; a missing, foreign or truncated header is an {@link IllegalArgumentException} naming the file. */
        public Reader(Path path) {
            this.path = path;
            try {
                in = new java.io.BufferedInputStream(Files.newInputStream(path), 1 << 16);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException(path + ": no such file");
            } catch (IOException e) {
                throw new IllegalArgumentException(path + ": cannot read (" + e.getMessage() + ")");
            }
            try {
                byte[] magic;
                try {
                    magic = in.readNBytes(8);
                } catch (IOException e) {
                    throw new IllegalArgumentException(path + ": cannot read (" + e.getMessage() + ")");
                }
                if (!java.util.Arrays.equals(magic, MAGIC)) {
                    throw new IllegalArgumentException(path + " does not look like a file containing log-probabilities (no _logits_ header)");
                }
                ByteBuffer h = read(12, "n_ctx, n_vocab, n_chunk");
                nCtx = h.getInt();
                nVocab = h.getInt();
                nChunk = h.getInt();
                if (nCtx < 2 || nVocab < 1 || nChunk < 1 || (long) nCtx * nChunk > Integer.MAX_VALUE / 4) {
                    throw new IllegalArgumentException(path + ": implausible header n_ctx=" + Integer.toUnsignedString(nCtx) + " n_vocab=" + nVocab + " n_chunk=" + nChunk);
                }
                ByteBuffer t = read(4 * nCtx * nChunk, "the evaluation tokens");
                tokens = new int[nCtx * nChunk];
                for (int i = 0; i < tokens.length; i++) tokens[i] = t.getInt();
            } catch (RuntimeException e) {
                closeQuietly();
                throw e;
            }
        }

        private ByteBuffer read(int n, String what) {
            try {
                byte[] b = in.readNBytes(n);
                if (b.length != n) throw new EOFException();
                return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            } catch (IOException e) {
                throw new IllegalArgumentException(path + ": truncated: failed reading " + what);
            }
        }

        public Path path() { return path; }
        public int nCtx() { return nCtx; }
        public int nVocab() { return nVocab; }
        public int nChunk() { return nChunk; }
        public int[] tokens() { return tokens; }

        /** The next chunk's rows; a short file is an {@link IllegalArgumentException} naming the file and chunk. */
        public short[][] readChunk() {
            if (chunksRead >= nChunk) throw new IllegalStateException(path + ": all " + nChunk + " chunks already read");
            int nv = rowLength(nVocab), rows = rowsPerChunk(nCtx);
            ByteBuffer b = read(2 * nv * rows, "log-probs for chunk " + chunksRead + " (of " + nChunk + ")");
            short[][] out = new short[rows][nv];
            for (short[] r : out) for (int i = 0; i < nv; i++) r[i] = b.getShort();
            chunksRead++;
            return out;
        }

        private void closeQuietly() {
            try {
                in.close();
            } catch (IOException ignored) {
                // reading only
            }
        }

        @Override
        public void close() { closeQuietly(); }
    }
}
