package dev.casa.bench.plot;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;
import javax.imageio.ImageIO;

/**
 * Line charts of CASA against insertion over a stream (turns or frames), one panel per measure, as a PNG: the
 * streaming benchmarks' plots. Non-finite values are left out of a line.
 *
 * @param <R> one measured row: its fusion ({@code "casa"} or {@code "insertion"}) and its 0-based index
 */
public final class FusionChart<R> {
    private static final Color CASA = new Color(0x1f77b4), INSERTION = new Color(0xff7f0e);

    private record Panel<R>(String title, ToDoubleFunction<R> y) {}

    private final String title, xLabel, insertionLabel;
    private final ToIntFunction<R> index;
    private final Function<R, String> fusion;
    private final int columns, panelWidth, panelHeight;
    private final List<Panel<R>> panels = new ArrayList<>();

    public FusionChart(String title, String xLabel, String insertionLabel, ToIntFunction<R> index, Function<R, String> fusion,
                       int columns, int panelWidth, int panelHeight) {
        this.title = title;
        this.xLabel = xLabel;
        this.insertionLabel = insertionLabel;
        this.index = index;
        this.fusion = fusion;
        this.columns = columns;
        this.panelWidth = panelWidth;
        this.panelHeight = panelHeight;
    }

    /** Adds a panel, filled left to right, then the next row. */
    public FusionChart<R> panel(String panelTitle, ToDoubleFunction<R> y) {
        panels.add(new Panel<>(panelTitle, y));
        return this;
    }

    public void write(Path png, List<R> records) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int top = 40, rows = (panels.size() + columns - 1) / columns;
        BufferedImage img = new BufferedImage(columns * panelWidth, rows * panelHeight + top, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, 20, 26);
        for (int p = 0; p < panels.size(); p++) {
            draw(g, (p % columns) * panelWidth, top + (p / columns) * panelHeight, records, panels.get(p));
        }
        g.dispose();
        if (png.getParent() != null) Files.createDirectories(png.getParent());
        ImageIO.write(img, "png", png.toFile());
    }

    private void draw(Graphics2D g, int x0, int y0, List<R> records, Panel<R> panel) {
        int left = x0 + 70, right = x0 + panelWidth - 20, top = y0 + 30, bottom = y0 + panelHeight - 50;
        double maxX = 1, maxY = 0;
        for (R r : records) {
            maxX = Math.max(maxX, index.applyAsInt(r) + 1);
            double v = panel.y().applyAsDouble(r);
            if (Double.isFinite(v)) maxY = Math.max(maxY, v);
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
            String tick = String.valueOf(Math.round(maxX * i / 5));
            g.drawString(tick, px - fm.stringWidth(tick) / 2, bottom + 16);
        }
        g.drawString(xLabel, (left + right) / 2 - fm.stringWidth(xLabel) / 2, bottom + 34);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(panel.title(), left, top - 10);
        line(g, records, "casa", CASA, left, right, top, bottom, maxX, maxY, panel.y());
        line(g, records, "insertion", INSERTION, left, right, top, bottom, maxX, maxY, panel.y());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        legend(g, CASA, "CASA", left + 10, top + 16);
        legend(g, INSERTION, insertionLabel, left + 10, top + 32);
    }

    private void line(Graphics2D g, List<R> records, String which, Color color, int left, int right, int top, int bottom,
                      double maxX, double maxY, ToDoubleFunction<R> y) {
        g.setColor(color);
        g.setStroke(new BasicStroke(2f));
        int px = -1, py = -1;
        for (R r : records) {
            if (!fusion.apply(r).equals(which)) continue;
            double v = y.applyAsDouble(r);
            if (!Double.isFinite(v)) continue;
            int x = left + (int) Math.round((right - left) * (index.applyAsInt(r) + 1) / maxX);
            int yy = bottom - (int) Math.round((bottom - top) * Math.min(1, v / maxY));
            if (px >= 0) g.drawLine(px, py, x, yy);
            else g.fillOval(x - 2, yy - 2, 4, 4);   // a one-point line is still visible
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

    /** The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 (× a power of ten) at or above v: round axis labels. */
    static double niceCeiling(double v) {
        if (!(v > 0)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) if (m * p >= v) return m * p;
        return 10 * p;
    }

    private static String format(double v) {
        return v >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2g", v);
    }
}
