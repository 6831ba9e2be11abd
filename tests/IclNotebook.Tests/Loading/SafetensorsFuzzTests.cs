using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using IclNotebook.Loading;

namespace IclNotebook.Tests.Loading;

/// <summary>
/// Deterministic fuzzing of <see cref="SafetensorsFile.Open"/>: every case must open (and read) or
/// fail with <see cref="IclException"/>, quickly and without allocating in proportion to sizes the
/// header merely claims. Runs on every commit, so it stays in the low seconds.
/// </summary>
public class SafetensorsFuzzTests
{
    private const int CaseCount = 3200;
    private const long MaxAllocatedPerCase = 64L << 20;

    private static readonly string[] Structural = ["{", "}", "[", "]", "\"", ",", ":", "-", ".", "0", "9", "e", " ", "\\"];

    [Fact]
    public void Every_mutated_file_opens_or_fails_with_our_exception_and_small_allocations()
    {
        using var files = new SafetensorsTestFiles();
        var path = Path.Combine(files.Folder, "fuzz.safetensors");
        var valid = SafetensorsTestFiles.SmallValidFile();
        var rng = new Random(20250611);
        var problems = new List<string>();
        int opened = 0, refused = 0;
        var clock = Stopwatch.StartNew();

        for (int i = 0; i < CaseCount; i++)
        {
            var (kind, bytes) = (i % 4) switch
            {
                0 => ("byte mutation", MutateHeaderBytes(valid, rng)),
                1 => ("truncation", valid[..rng.Next(0, valid.Length)]),
                2 => ("header length", WithHeaderLength(valid, RandomHeaderLength(valid.Length, rng))),
                _ => ("json mutation", RandomJsonFile(rng)),
            };
            File.WriteAllBytes(path, bytes);

            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var file = SafetensorsFile.Open(path);
                foreach (var name in file.Tensors.Keys)
                {
                    _ = file.ReadFloat32(name);
                }
                opened++;
            }
            catch (IclException)
            {
                refused++;
            }
            catch (Exception e)
            {
                problems.Add($"case {i} ({kind}): {e.GetType().Name}: {e.Message} | {Describe(bytes)}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > MaxAllocatedPerCase)
            {
                problems.Add($"case {i} ({kind}) allocated {allocated} bytes | {Describe(bytes)}");
            }
        }

        Assert.True(problems.Count == 0, $"{problems.Count} bad cases:\n{string.Join('\n', problems.Take(20))}");
        // The generator must exercise both outcomes, or the test proves little.
        Assert.True(opened >= 100 && refused >= 1000, $"opened {opened}, refused {refused}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"fuzzing took {clock.Elapsed}; keep it fast");
    }

    private static byte[] MutateHeaderBytes(byte[] valid, Random rng)
    {
        var bytes = (byte[])valid.Clone();
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        int mutations = rng.Next(1, 9);
        for (int m = 0; m < mutations; m++)
        {
            int at = rng.Next(0, headerEnd);
            bytes[at] = rng.Next(3) switch
            {
                0 => (byte)rng.Next(256),
                1 => (byte)Structural[rng.Next(Structural.Length)][0],
                _ => (byte)(bytes[at] ^ (1 << rng.Next(8))),
            };
        }
        return bytes;
    }

    private static ulong RandomHeaderLength(int fileLength, Random rng) => rng.Next(4) switch
    {
        0 => Pick<ulong>(rng, 0UL, 1UL, 7UL, 8UL, (ulong)fileLength - 8, (ulong)fileLength - 7, (ulong)fileLength, 100_000_000UL, 100_000_001UL, (ulong)long.MaxValue, ulong.MaxValue, 1UL << 63),
        1 => (ulong)rng.NextInt64(long.MinValue, long.MaxValue),
        _ => (ulong)rng.Next(0, fileLength + 16),
    };

    private static byte[] WithHeaderLength(byte[] valid, ulong length)
    {
        var bytes = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
        return bytes;
    }

    /// <summary>A header of random (mostly valid) entries with hostile dtypes, shapes and offsets.</summary>
    private static byte[] RandomJsonFile(Random rng)
    {
        var parts = new List<string>();
        if (rng.Next(3) == 0)
        {
            parts.Add("\"__metadata__\":" + Pick(rng, "{\"format\":\"pt\"}", "{}", "null", "[]", "{\"a\":1}", "\"pt\"", "{\"a\":\"b\",\"a\":\"c\"}"));
        }
        long offset = 0;
        int count = rng.Next(0, 5);
        for (int t = 0; t < count; t++)
        {
            string dtype = rng.Next(4) > 0 ? Pick(rng, "F32", "F16", "BF16") : Pick(rng, "I64", "F64", "bf16", "", "U8", "F8_E4M3");
            int size = dtype == "F32" ? 4 : 2;
            var dims = Enumerable.Range(0, rng.Next(0, 4)).Select(_ => (long)rng.Next(0, 5)).ToArray();
            long bytes = dims.Aggregate(1L, (a, b) => a * b) * size;
            string shape = rng.Next(5) > 0 ? $"[{string.Join(",", dims)}]" : Pick(
                rng, "[1000000000000,1000000000]", "[1000000000000000]", "[-1]", "[2.5]", "[9223372036854775807,2]",
                "\"2\"", "[[2]]", "[]", "null", "[1e3]", "[99999999999999999999]");
            string offsets = rng.Next(3) > 0 ? $"[{offset},{offset + bytes}]" : Pick(
                rng, $"[-4,{bytes - 4}]", $"[{Math.Max(0, offset - 2)},{Math.Max(0, offset - 2) + bytes}]",
                $"[{offset + bytes},{offset}]", "[0,4000000000000000]", $"[{offset},{offset + bytes},0]",
                $"[{offset + 1000},{offset + 1000 + bytes}]", $"[{rng.Next(-5, 100)},{rng.Next(-5, 100)}]",
                "[0]", "{}", $"[{offset}.0,{offset + bytes}]", "[4000000000000000,4000000000000004]");
            offset += bytes;
            string name = rng.Next(6) > 0 ? $"t{t}" : Pick(rng, "t0", "", "__metadata__", "h.0.attn.bias", "\u00e9\u4e2d");
            var fields = new List<string> { $"\"dtype\":\"{dtype}\"", $"\"shape\":{shape}", $"\"data_offsets\":{offsets}" };
            if (rng.Next(10) == 0)
            {
                fields.RemoveAt(rng.Next(fields.Count));
            }
            parts.Add(rng.Next(30) == 0 ? $"\"{name}\":[1]" : $"\"{name}\":{{{string.Join(",", fields.OrderBy(_ => rng.Next()))}}}");
        }
        string header = "{" + string.Join(",", parts.OrderBy(_ => rng.Next())) + "}" + new string(' ', rng.Next(0, 8));
        var data = new byte[Math.Max(0, offset + rng.Next(-4, 8))];
        rng.NextBytes(data);
        var file = SafetensorsTestFiles.Build(header, data);
        return rng.Next(8) == 0 ? MutateHeaderBytes(file, rng) : file;
    }

    private static T Pick<T>(Random rng, params T[] choices) => choices[rng.Next(choices.Length)];

    private static string Describe(byte[] bytes)
    {
        var head = bytes.Length >= 8 ? $"len field {BinaryPrimitives.ReadUInt64LittleEndian(bytes)}, " : "";
        return $"{bytes.Length} bytes, {head}text: {Encoding.UTF8.GetString(bytes, Math.Min(8, bytes.Length), Math.Min(300, Math.Max(0, bytes.Length - 8)))}";
    }
}
