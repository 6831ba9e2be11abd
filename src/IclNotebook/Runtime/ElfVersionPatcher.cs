using System.Buffers.Binary;
using System.Text;

namespace IclNotebook.Runtime;

/// <summary>
/// Marks symbol-version requirements of an ELF64 little-endian shared library as weak
/// (<c>VER_FLG_WEAK</c>) in its <c>.gnu.version_r</c> section, so the dynamic loader accepts a
/// library that asks for a version the system does not define (only a warning), as long as no
/// relocation needs a symbol of that version. Pure byte manipulation; the input is validated and
/// any inconsistency is an <see cref="IclException"/>.
/// </summary>
public static class ElfVersionPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>One version requirement: the library it is needed from and the version name.</summary>
    public sealed record VersionNeed(string File, string Version, ushort Flags, int FlagsOffset)
    {
        public bool IsWeak => (Flags & VerFlgWeak) != 0;
    }

    /// <summary>Every entry of the <c>.gnu.version_r</c> section, in file order.</summary>
    public static IReadOnlyList<VersionNeed> ReadVersionNeeds(ReadOnlySpan<byte> elf, string name)
    {
        var needs = new List<VersionNeed>();
        var (offset, size, strOffset, strSize, count) = FindVerneed(elf, name);
        long entry = offset;
        for (int i = 0; i < count; i++)
        {
            Require(entry + 16 <= offset + size, name, "a version-need entry runs past its section");
            ushort cnt = U16(elf, entry + 2);
            string file = ReadString(elf, strOffset, strSize, U32(elf, entry + 4), name);
            long aux = entry + U32(elf, entry + 8);
            for (int j = 0; j < cnt; j++)
            {
                Require(aux >= offset && aux + 16 <= offset + size, name, "a version-need aux entry lies outside its section");
                ushort flags = U16(elf, aux + 4);
                string version = ReadString(elf, strOffset, strSize, U32(elf, aux + 8), name);
                needs.Add(new VersionNeed(file, version, flags, checked((int)(aux + 4))));
                uint nextAux = U32(elf, aux + 12);
                if (nextAux == 0) break;
                aux += nextAux;
            }
            uint next = U32(elf, entry + 12);
            if (next == 0) break;
            entry += next;
        }
        return needs;
    }

    /// <summary>
    /// Sets the weak flag on every requirement whose version is in <paramref name="versions"/>;
    /// returns how many entries changed. The array is modified in place.
    /// </summary>
    public static int Weaken(byte[] elf, IReadOnlySet<string> versions, string name)
    {
        ArgumentNullException.ThrowIfNull(elf);
        int changed = 0;
        foreach (var need in ReadVersionNeeds(elf, name))
        {
            if (!versions.Contains(need.Version) || need.IsWeak) continue;
            BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(need.FlagsOffset), (ushort)(need.Flags | VerFlgWeak));
            changed++;
        }
        return changed;
    }

    /// <summary>Version names a library defines (<c>.gnu.version_d</c>), e.g. GLIBCXX_3.4.30.</summary>
    public static IReadOnlySet<string> ReadVersionDefinitions(ReadOnlySpan<byte> elf, string name)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var sections = ReadSections(elf, name);
        foreach (var s in sections.Where(s => s.Type == 0x6ffffffd))
        {
            Require(s.Link < sections.Count, name, "the version-definition section links to a missing string table");
            var str = sections[(int)s.Link];
            long entry = s.Offset;
            for (int i = 0; i < s.Info; i++)
            {
                Require(entry + 20 <= s.Offset + s.Size, name, "a version definition runs past its section");
                long aux = entry + U32(elf, entry + 12);
                Require(aux + 8 <= s.Offset + s.Size, name, "a version-definition aux entry lies outside its section");
                result.Add(ReadString(elf, str.Offset, str.Size, U32(elf, aux), name));
                uint next = U32(elf, entry + 16);
                if (next == 0) break;
                entry += next;
            }
        }
        return result;
    }

    private sealed record Section(uint Type, long Offset, long Size, uint Link, uint Info);

    private static (long Offset, long Size, long StrOffset, long StrSize, uint Count) FindVerneed(ReadOnlySpan<byte> elf, string name)
    {
        var sections = ReadSections(elf, name);
        var verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed)
            ?? throw new IclException($"{name}: the ELF file has no .gnu.version_r section, so there are no version requirements to relax.");
        Require(verneed.Link < sections.Count, name, "the .gnu.version_r section links to a missing string table");
        var str = sections[(int)verneed.Link];
        return (verneed.Offset, verneed.Size, str.Offset, str.Size, verneed.Info);
    }

    private static List<Section> ReadSections(ReadOnlySpan<byte> elf, string name)
    {
        bool elfMagic = elf.Length >= 64 && elf[0] == 0x7f && elf[1] == (byte)'E' && elf[2] == (byte)'L' && elf[3] == (byte)'F';
        Require(elfMagic, name, "not an ELF file (bad magic)");
        Require(elf[4] == 2, name, "not a 64-bit ELF file");
        Require(elf[5] == 1, name, "not a little-endian ELF file");
        long shoff = (long)U64(elf, 0x28);
        ushort shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        Require(shentsize == 64, name, $"unexpected section header size {shentsize}");
        Require(shoff > 0 && shoff + (long)shnum * 64 <= elf.Length, name, "the section header table lies outside the file");
        var sections = new List<Section>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + i * 64L;
            var s = new Section(U32(elf, h + 4), (long)U64(elf, h + 0x18), (long)U64(elf, h + 0x20), U32(elf, h + 0x28), U32(elf, h + 0x2C));
            bool noBits = s.Type == 8; // SHT_NOBITS occupies no file space
            Require(noBits || (s.Offset >= 0 && s.Size >= 0 && s.Offset + s.Size <= elf.Length), name, $"section {i} lies outside the file");
            sections.Add(s);
        }
        return sections;
    }

    private static string ReadString(ReadOnlySpan<byte> elf, long strOffset, long strSize, uint index, string name)
    {
        Require(index < strSize, name, "a string index points outside the string table");
        var rest = elf.Slice((int)(strOffset + index), (int)(strSize - index));
        int end = rest.IndexOf((byte)0);
        Require(end >= 0, name, "an unterminated string in the string table");
        return Encoding.ASCII.GetString(rest[..end]);
    }

    private static ushort U16(ReadOnlySpan<byte> b, long at) { Bounds(b, at, 2); return BinaryPrimitives.ReadUInt16LittleEndian(b[(int)at..]); }
    private static uint U32(ReadOnlySpan<byte> b, long at) { Bounds(b, at, 4); return BinaryPrimitives.ReadUInt32LittleEndian(b[(int)at..]); }
    private static ulong U64(ReadOnlySpan<byte> b, long at) { Bounds(b, at, 8); return BinaryPrimitives.ReadUInt64LittleEndian(b[(int)at..]); }

    private static void Bounds(ReadOnlySpan<byte> b, long at, int size)
    {
        if (at < 0 || at + size > b.Length)
            throw new IclException($"ELF file is malformed: a read at offset {at} runs past its end ({b.Length} bytes).");
    }

    private static void Require(bool ok, string name, string problem)
    {
        if (!ok) throw new IclException($"{name}: ELF file is malformed: {problem}.");
    }
}
