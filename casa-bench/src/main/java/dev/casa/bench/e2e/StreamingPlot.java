package dev.casa.bench.e2e;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/** Three line charts over turns (time to first token, decode speed, KV cache), CASA vs insertion, as a PNG. */
final class StreamingPlot {
    private static final int PANEL_W = 520, PANEL_H = 400, TOP = 40;
    private static final Color CASA = new Color(0x1f77b4), INSERTION = new Color(0xff7f0e);

    private StreamingPlot() {}

    static void write(Path png, List<TurnRecord> records, String subtitle) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(3 * PANEL_W, PANEL_H + TOP, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("Streaming: CASA vs insertion (" + subtitle + ")", 20, 26);
        panel(g, 0, records, "time to first token (ms)", TurnRecord::ttftMs);
        panel(g, PANEL_W, records, "decode (tokens/s)", TurnRecord::decodeTokPerS);
        panel(g, 2 * PANEL_W, records, "KV cache used (MB, fp32)", r -> r.kvBytesUsed() / 1e6);
        g.dispose();
        if (png.getParent() != null) Files.createDirectories(png.getParent());
        ImageIO.write(img, "png", png.toFile());
    }

    private static void panel(Graphics2D g, int x0, List<TurnRecord> records, String title, ToDoubleFunction<TurnRecord> y) {
        int left = x0 + 70, right = x0 + PANEL_W - 20, top = TOP + 30, bottom = TOP + PANEL_H - 50;
        double maxTurn = 1, maxY = 0;
        for (TurnRecord r : records) {
            maxTurn = Math.max(maxTurn, r.turn() + 1);
            maxY = Math.max(maxY, y.applyAsDouble(r));
        }
        maxY = niceCeiling(maxY);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        g.setColor(new Color(0xdddddd));
        for (int i = 0; i <= 5; i++) {
            int py = bottom - (bottom - top) * i / 5;
            g.drawLine(left, py, right, py);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, right - left, bottom - top);
        for (int i = 0; i <= 5; i++) {
            int py = bottom - (bottom - top) * i / 5;
            String label = format(maxY * i / 5);
            g.drawString(label, left - 6 - fm.stringWidth(label), py + 4);
            int px = left + (right - left) * i / 5;
            String turn = String.valueOf(Math.round(maxTurn * i / 5));
            g.drawString(turn, px - fm.stringWidth(turn) / 2, bottom + 16);
        }
        g.drawString("turn", (left + right) / 2 - 12, bottom + 34);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(title, left, top - 10);
        line(g, records, "casa", CASA, left, right, top, bottom, maxTurn, maxY, y);
        line(g, records, "insertion", INSERTION, left, right, top, bottom, maxTurn, maxY, y);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        legend(g, CASA, "CASA", left + 10, top + 16);
        legend(g, INSERTION, "insertion", left + 10, top + 32);
    }

    private static void line(Graphics2D g, List<TurnRecord> records, String fusion, Color color, int left, int right,
                             int top, int bottom, double maxTurn, double maxY, ToDoubleFunction<TurnRecord> y) {
        g.setColor(color);
        g.setStroke(new BasicStroke(2f));
        int px = -1, py = -1;
        for (TurnRecord r : records) {
            if (!r.fusion().equals(fusion)) continue;
            int x = left + (int) Math.round((right - left) * (r.turn() + 1) / maxTurn);
            int yy = bottom - (int) Math.round((bottom - top) * Math.min(1, y.applyAsDouble(r) / maxY));
            if (px >= 0) g.drawLine(px, py, x, yy);
            px = x;
            py = yy;
        }
        g.setStroke(new BasicStroke(1f));
    }

    private static void legend(Graphics2D g, Color c, String label, int x, int y) {
        g.setColor(c);
        g.fillRect(x, y - 8, 18, 4);
        g.setColor(Color.BLACK);
        g.drawString(label, x + 24, y - 2);
    }

    private static double niceCeiling(double v) {
        if (!(v > 0)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) if (m * p >= v) return m * p;
        return 10 * p;
    }

    private static String format(double v) {
        return v >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2g", v);
    }
}
