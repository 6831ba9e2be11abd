using IclNotebook.Runtime;
using TorchSharp;

namespace IclNotebook.Tests.Runtime;

public class ElfVersionPatcherTests
{
    private static string LibTorchSharpPath()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"expected the real TorchSharp native library at {path}");
        return path;
    }

    [Fact]
    public void Weakening_the_real_library_flags_exactly_the_requested_version()
    {
        var path = LibTorchSharpPath();
        var bytes = File.ReadAllBytes(path);
        var before = ElfVersionPatcher.ReadVersionNeeds(bytes, path);
        Assert.Contains(before, n => n.Version == "GLIBCXX_3.4.32" && !n.IsWeak);

        int changed = ElfVersionPatcher.Weaken(bytes, new HashSet<string> { "GLIBCXX_3.4.32" }, path);

        Assert.Equal(1, changed);
        var after = ElfVersionPatcher.ReadVersionNeeds(bytes, path);
        Assert.Equal(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].Version, after[i].Version);
            Assert.Equal(before[i].Version == "GLIBCXX_3.4.32", after[i].IsWeak);
        }
        // Only the two flag bytes differ from the original file.
        var original = File.ReadAllBytes(path);
        int diffs = original.Zip(bytes).Count(p => p.First != p.Second);
        Assert.Equal(1, diffs);
    }

    [Fact]
    public void Malformed_elf_is_refused_with_a_clear_message()
    {
        var notElf = "hello, this is not a shared library"u8.ToArray();
        var e = Assert.Throws<IclException>(() => ElfVersionPatcher.Weaken(notElf, new HashSet<string> { "X" }, "fake.so"));
        Assert.Contains("fake.so", e.Message, StringComparison.Ordinal);
        Assert.Contains("bad magic", e.Message, StringComparison.Ordinal);

        var truncated = File.ReadAllBytes(LibTorchSharpPath())[..4096];
        var t = Assert.Throws<IclException>(() => ElfVersionPatcher.ReadVersionNeeds(truncated, "truncated.so"));
        Assert.Contains("malformed", t.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_mutation_of_the_header_region_gives_our_exception_or_a_result()
    {
        var bytes = File.ReadAllBytes(LibTorchSharpPath());
        var rng = new Random(7);
        for (int i = 0; i < 300; i++)
        {
            var copy = (byte[])bytes.Clone();
            // Section header table lives at the end; mutate it and the ELF header.
            int at = rng.Next(2) == 0 ? rng.Next(64) : copy.Length - 1 - rng.Next(4096);
            copy[at] = (byte)rng.Next(256);
            try { ElfVersionPatcher.ReadVersionNeeds(copy, "mutated.so"); }
            catch (IclException) { }
        }
    }

    [Fact]
    public void Torch_runs_after_the_runtime_fix()
    {
        TorchRuntime.EnsureLoaded();
        using var t = torch.arange(4, dtype: torch.float32);
        Assert.Equal(6f, t.sum().item<float>());
    }
}
