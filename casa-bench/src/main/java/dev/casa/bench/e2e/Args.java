package dev.casa.bench.e2e;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** {@code --key value} command-line options with defaults; an unknown key is an error. */
public final class Args {
    private final Map<String, String> values = new HashMap<>();

    public Args(String[] args, Set<String> known, String usage) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                System.out.println(usage);
                System.exit(0);
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --key value, got '" + a + "'\n" + usage);
            }
            String key = a.substring(2);
            if (!known.contains(key)) throw new IllegalArgumentException("unknown option --" + key + "\n" + usage);
            values.put(key, args[++i]);
        }
    }

    public boolean has(String key) { return values.containsKey(key); }

    public String string(String key, String fallback) { return values.getOrDefault(key, fallback); }

    public int integer(String key, int fallback) {
        String v = values.get(key);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " expects an integer, got '" + v + "'");
        }
    }

    public double number(String key, double fallback) {
        String v = values.get(key);
        if (v == null) return fallback;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " expects a number, got '" + v + "'");
        }
    }
}
