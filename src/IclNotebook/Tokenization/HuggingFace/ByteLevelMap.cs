using System.Text;

namespace IclNotebook.Tokenization.HuggingFace;

/// <summary>
/// GPT-2's byte-to-unicode table (<c>bytes_to_unicode</c>), which byte-level BPE tokenizers
/// (GPT-2, GPT-NeoX, Qwen2) use so that every byte is a printable character: printable Latin-1
/// bytes map to themselves, the others to U+0100 onwards in byte order.
/// </summary>
internal static class ByteLevelMap
{
    private static readonly char[] ByteToChar = Build();
    private static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, (byte)b)).ToDictionary(x => x.c, x => x.Item2);

    private static char[] Build()
    {
        var map = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + next++);
        }
        return map;
    }

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, one mapped character each.</summary>
    public static string Encode(string text) => string.Concat(Encoding.UTF8.GetBytes(text).Select(b => ByteToChar[b]));

    /// <summary>The bytes a mapped string stands for (characters outside the table are kept as their UTF-8).</summary>
    public static byte[] Decode(string mapped)
    {
        var bytes = new List<byte>(mapped.Length);
        foreach (char c in mapped)
        {
            if (CharToByte.TryGetValue(c, out var b)) bytes.Add(b);
            else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }
        return bytes.ToArray();
    }
}
