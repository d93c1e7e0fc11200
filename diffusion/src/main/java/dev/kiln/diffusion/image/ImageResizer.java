package dev.kiln.diffusion.image;

/**
 * Resizes with a separable Lanczos-3 filter, the filter diffusers' image processor asks PIL for
 * when it resizes img2img inputs. As in PIL, the kernel widens by the scale factor when
 * shrinking (area-averaging, no aliasing), and each pass rounds and clamps to 8 bits.
 * Aspect ratio is not preserved: the image is stretched to the requested size, as diffusers does.
 */
public final class ImageResizer {

    private static final double LANCZOS_SUPPORT = 3.0;

    private ImageResizer() {
    }

    public static RgbImage resize(RgbImage image, int width, int height) {
        if (image.width() == width && image.height() == height) {
            return image;
        }
        RgbImage horizontal = resizeHorizontally(image, width);
        return transpose(resizeHorizontally(transpose(horizontal), height));
    }

    private static RgbImage resizeHorizontally(RgbImage in, int outWidth) {
        Weights weights = weights(in.width(), outWidth);
        byte[] src = in.rgb();
        byte[] dst = new byte[outWidth * in.height() * 3];
        for (int y = 0; y < in.height(); y++) {
            int rowIn = y * in.width() * 3;
            int rowOut = y * outWidth * 3;
            for (int x = 0; x < outWidth; x++) {
                int first = weights.first[x];
                double r = 0;
                double g = 0;
                double b = 0;
                double[] w = weights.values[x];
                for (int k = 0; k < w.length; k++) {
                    int p = rowIn + (first + k) * 3;
                    r += w[k] * (src[p] & 0xff);
                    g += w[k] * (src[p + 1] & 0xff);
                    b += w[k] * (src[p + 2] & 0xff);
                }
                dst[rowOut + x * 3] = clampToByte(r);
                dst[rowOut + x * 3 + 1] = clampToByte(g);
                dst[rowOut + x * 3 + 2] = clampToByte(b);
            }
        }
        return new RgbImage(outWidth, in.height(), dst);
    }

    private record Weights(int[] first, double[][] values) {
    }

    private static Weights weights(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = LANCZOS_SUPPORT * filterScale;
        int[] first = new int[outSize];
        double[][] values = new double[outSize][];
        for (int x = 0; x < outSize; x++) {
            double center = (x + 0.5) * scale;
            int lo = Math.max(0, (int) Math.floor(center - support));
            int hi = Math.min(inSize, (int) Math.ceil(center + support));
            double[] w = new double[hi - lo];
            double sum = 0;
            for (int i = lo; i < hi; i++) {
                double v = lanczos((i + 0.5 - center) / filterScale);
                w[i - lo] = v;
                sum += v;
            }
            for (int k = 0; k < w.length; k++) {
                w[k] = sum == 0 ? 0 : w[k] / sum;
            }
            first[x] = lo;
            values[x] = w;
        }
        return new Weights(first, values);
    }

    private static double lanczos(double x) {
        if (x == 0) {
            return 1.0;
        }
        if (Math.abs(x) >= LANCZOS_SUPPORT) {
            return 0.0;
        }
        double px = Math.PI * x;
        return LANCZOS_SUPPORT * Math.sin(px) * Math.sin(px / LANCZOS_SUPPORT) / (px * px);
    }

    private static byte clampToByte(double v) {
        long rounded = Math.round(v);
        return (byte) Math.max(0, Math.min(255, rounded));
    }

    private static RgbImage transpose(RgbImage in) {
        int w = in.width();
        int h = in.height();
        byte[] src = in.rgb();
        byte[] dst = new byte[src.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int s = (y * w + x) * 3;
                int d = (x * h + y) * 3;
                dst[d] = src[s];
                dst[d + 1] = src[s + 1];
                dst[d + 2] = src[s + 2];
            }
        }
        return new RgbImage(h, w, dst);
    }
}
