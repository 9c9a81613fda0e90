package ggufc.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes small tensor-less GGUF v3 files with hand-made tokenizer metadata, for tests. */
final class MiniGguf {
    private final List<byte[]> kvs = new ArrayList<>();

    MiniGguf string(String key, String value) { return kv(key, 8, str(value)); }
    MiniGguf u32(String key, long value) { return kv(key, 4, le(4, value)); }
    MiniGguf bool(String key, boolean value) { return kv(key, 7, new byte[] {(byte) (value ? 1 : 0)}); }

    MiniGguf strings(String key, String... values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(le(4, 8));
        b.writeBytes(le(8, values.length));
        for (String v : values) b.writeBytes(str(v));
        return kv(key, 9, b.toByteArray());
    }

    MiniGguf floats(String key, float... values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(le(4, 6));
        b.writeBytes(le(8, values.length));
        for (float v : values) b.writeBytes(le(4, Float.floatToRawIntBits(v)));
        return kv(key, 9, b.toByteArray());
    }

    MiniGguf ints(String key, int... values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(le(4, 5));
        b.writeBytes(le(8, values.length));
        for (int v : values) b.writeBytes(le(4, v));
        return kv(key, 9, b.toByteArray());
    }

    private MiniGguf kv(String key, int type, byte[] value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(str(key));
        b.writeBytes(le(4, type));
        b.writeBytes(value);
        kvs.add(b.toByteArray());
        return this;
    }

    Path write(Path file) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(le(4, 3));
        b.writeBytes(le(8, 0));
        b.writeBytes(le(8, kvs.size()));
        for (byte[] kv : kvs) b.writeBytes(kv);
        Files.write(file, b.toByteArray());
        return file;
    }

    private static byte[] str(String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocate(8 + u.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(u.length).put(u);
        return bb.array();
    }

    private static byte[] le(int bytes, long v) {
        ByteBuffer bb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
        byte[] r = new byte[bytes];
        System.arraycopy(bb.array(), 0, r, 0, bytes);
        return r;
    }
}
