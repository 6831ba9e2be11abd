using System.Buffers.Binary;
using System.IO.Compression;

namespace IclNotebook.Tests.Plots;

/// <summary>A minimal PNG reader for Chromium's screenshots: 8-bit RGB or RGBA, not interlaced.</summary>
internal sealed record PngPixels(int Width, int Height, byte[] Rgb)
{
    public static PngPixels Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int pos = 8, width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        while (pos < bytes.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(pos));
            var type = System.Text.Encoding.ASCII.GetString(bytes, pos + 4, 4);
            var data = bytes.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                if (data[8] != 8 || data[12] != 0) throw new NotSupportedException("only 8-bit, non-interlaced PNGs");
                channels = data[9] switch { 2 => 3, 6 => 4, _ => throw new NotSupportedException($"PNG colour type {data[9]}") };
            }
            else if (type == "IDAT") idat.Write(data);
            pos += 12 + length;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var src = raw.ToArray();
        int stride = width * channels;
        var prev = new byte[stride];
        var cur = new byte[stride];
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            int filter = src[y * (stride + 1)];
            Array.Copy(src, y * (stride + 1) + 1, cur, 0, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? cur[i - channels] : 0, b = prev[i], c = i >= channels ? prev[i - channels] : 0;
                cur[i] = (byte)(cur[i] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new NotSupportedException($"PNG filter {filter}"),
                });
            }
            for (int x = 0; x < width; x++)
                for (int k = 0; k < 3; k++) rgb[(y * width + x) * 3 + k] = cur[x * channels + k];
            (prev, cur) = (cur, prev);
        }
        return new PngPixels(width, height, rgb);
    }

    /// <summary>Pixels within <paramref name="tolerance"/> (per channel) of the colour.</summary>
    public int Count(int r, int g, int b, int tolerance = 12)
    {
        int n = 0;
        for (int i = 0; i < Rgb.Length; i += 3)
            if (Math.Abs(Rgb[i] - r) <= tolerance && Math.Abs(Rgb[i + 1] - g) <= tolerance && Math.Abs(Rgb[i + 2] - b) <= tolerance) n++;
        return n;
    }

    /// <summary>Pixels in rows [<paramref name="top"/>, <paramref name="bottom"/>) whose colour satisfies <paramref name="match"/>.</summary>
    public int CountRows(int top, int bottom, Func<int, int, int, bool> match)
    {
        int n = 0;
        for (int y = Math.Max(0, top); y < Math.Min(Height, bottom); y++)
            for (int x = 0; x < Width; x++)
            {
                int i = (y * Width + x) * 3;
                if (match(Rgb[i], Rgb[i + 1], Rgb[i + 2])) n++;
            }
        return n;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
