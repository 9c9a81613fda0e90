package ggufc.runtime.artifact;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A content hash of a GGUF file that stays fast for multi-GB models. Files up to
 * {@link #FULL_LIMIT} are hashed whole ({@code sha256}). Larger ones are hashed as
 * {@code sha256-sampled-v1}: the file size, the first 16 MiB (header, metadata and tensor table,
 * plus the first tensors) and 64 evenly spaced 1 MiB windows including the last one, about 80 MiB
 * read in all. A changed header, tensor table, size or any sampled byte is detected; an edit that
 * touches only unsampled bytes of a large file is not (documented in the artifact README).
 */
public final class GgufHash {
    private GgufHash() {}

    public static final long FULL_LIMIT = 256L << 20;
    private static final long HEAD = 16L << 20, WINDOW = 1L << 20;
    private static final int WINDOWS = 64;

    /** {@code method:hex}. */
    public static String of(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            long size = ch.size();
            String method;
            if (size <= FULL_LIMIT) {
                method = "sha256";
                read(ch, md, 0, size);
            } else {
                method = "sha256-sampled-v1";
                md.update(ByteBuffer.allocate(8).putLong(size).array());
                read(ch, md, 0, HEAD);
                for (int i = 0; i < WINDOWS; i++) {
                    long start = HEAD + (size - HEAD - WINDOW) * i / (WINDOWS - 1);
                    read(ch, md, start, WINDOW);
                }
            }
            return method + ":" + HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void read(FileChannel ch, MessageDigest md, long start, long n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long pos = start, end = start + n;
        while (pos < end) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
            int r = ch.read(buf, pos);
            if (r < 0) throw new IOException("unexpected end of file at " + pos);
            buf.flip();
            md.update(buf);
            pos += r;
        }
    }

    /** SHA-256 of a small file's bytes, hex. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
