using IclNotebook.Loading;
using static IclNotebook.Tests.Loading.SafetensorsTestFiles;

namespace IclNotebook.Tests.Loading;

public class SafetensorsMalformedTests
{
    private static readonly byte[] EightBytes = Floats(1, 2);

    private static string One(string entry) => "{\"t\":{" + entry + "}}";

    /// <summary>One malformed file per validation rule: (case, file bytes, expected message fragment).</summary>
    public static TheoryData<string, byte[], string> Cases() => new()
    {
        { "empty file", [], "shorter than the 8-byte header length" },
        { "7 bytes", [1, 0, 0, 0, 0, 0, 0], "shorter than the 8-byte header length" },
        { "header length 0", Build("", EightBytes, headerLength: 0), "header length is 0" },
        { "header length over limit", Build("{}", [], headerLength: 100_000_001), "exceeds the limit of 100000000" },
        { "header length u64 max", Build("{}", [], headerLength: ulong.MaxValue), "exceeds the limit" },
        { "header past end of file", Build("{}", [], headerLength: 3), "runs past the end of the file" },
        { "invalid utf-8", BuildRaw([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}'], []), "not valid UTF-8" },
        { "not json", Build("{\"t\":", []), "not valid JSON" },
        { "json array", Build("[1,2]", []), "not a JSON object (found an array)" },
        { "json string", Build("\"x\"", []), "not a JSON object (found a string)" },
        { "entry not object", Build("""{"t":[1]}""", []), "tensor 't': the entry must be a JSON object" },
        { "missing dtype", Build(One("\"shape\":[2],\"data_offsets\":[0,8]"), EightBytes), "tensor 't': the entry is missing 'dtype'" },
        { "missing shape", Build(One("\"dtype\":\"F32\",\"data_offsets\":[0,8]"), EightBytes), "tensor 't': the entry is missing 'shape'" },
        { "missing data_offsets", Build(One("\"dtype\":\"F32\",\"shape\":[2]"), EightBytes), "tensor 't': the entry is missing 'data_offsets'" },
        { "dtype number", Build(One("\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]"), EightBytes), "'dtype' must be a string" },
        { "shape object", Build(One("\"dtype\":\"F32\",\"shape\":{},\"data_offsets\":[0,8]"), EightBytes), "'shape' must be an array" },
        { "offsets string", Build(One("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\"0,8\""), EightBytes), "'data_offsets' must be an array" },
        { "dtype Q4", Build(One("\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,8]"), EightBytes), "dtype 'Q4' is not supported; supported dtypes are F32, F16, BF16, F64, BOOL" },
        { "dtype lowercase", Build(One("\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]"), EightBytes), "dtype 'f32' is not supported" },
        { "negative dim", Build(One("\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]"), EightBytes), "shape dimension 0 is negative" },
        { "fractional dim", Build(One("\"dtype\":\"F32\",\"shape\":[2,1.5],\"data_offsets\":[0,8]"), EightBytes), "shape dimension 1 must be an integer" },
        { "string dim", Build(One("\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]"), EightBytes), "shape dimension 0 must be an integer" },
        { "dim beyond long", Build(One("\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]"), EightBytes), "must be an integer in the 64-bit range" },
        { "element count overflow", Build(One("\"dtype\":\"F32\",\"shape\":[1000000000000,1000000000],\"data_offsets\":[0,8]"), EightBytes), "overflows a 64-bit integer" },
        { "byte size overflow", Build(One("\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,8]"), EightBytes), "needs more bytes than a 64-bit size can hold" },
        { "huge tensor past end", Build(One("\"dtype\":\"F32\",\"shape\":[1000000000000000],\"data_offsets\":[0,4000000000000000]"), EightBytes), "run past the end of the data section (8 bytes)" },
        { "three offsets", Build(One("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]"), EightBytes), "data_offsets must be exactly two integers" },
        { "negative offset", Build(One("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]"), EightBytes), "data_offsets begin is negative" },
        { "fractional offset", Build(One("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.0]"), EightBytes), "data_offsets end must be an integer" },
        { "begin after end", Build(One("\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]"), EightBytes), "data_offsets begin 8 is after end 0" },
        { "size mismatch", Build(One("\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]"), EightBytes), "cover 8 bytes but shape [2] of F16 needs 4 bytes" },
        { "past data end", Build(One("\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]"), EightBytes), "run past the end of the data section (8 bytes)" },
        {
            "overlap",
            Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", EightBytes),
            "tensor 'b' bytes [4, 8) overlap tensor 'a' bytes [0, 8)"
        },
        {
            "duplicate name",
            Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", EightBytes),
            "tensor 'a' appears twice"
        },
        { "metadata array", Build("""{"__metadata__":["pt"]}""", []), "'__metadata__' must be a JSON object of strings, found an array" },
        { "metadata number value", Build("""{"__metadata__":{"format":1}}""", []), "'__metadata__' entry 'format' must be a string, found a number" },
        { "metadata null", Build("""{"__metadata__":null}""", []), "'__metadata__' must be a JSON object of strings, found null" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_file_is_refused_naming_the_file_and_the_problem(string name, byte[] bytes, string fragment)
    {
        using var files = new SafetensorsTestFiles();
        var path = files.Save("bad-" + name.Replace(' ', '-') + ".safetensors", bytes);

        var e = Assert.Throws<IclException>(() => SafetensorsFile.Open(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_our_exception()
    {
        var path = Path.Combine(Path.GetTempPath(), "icl-no-such-" + Guid.NewGuid().ToString("N") + ".safetensors");
        var e = Assert.Throws<IclException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_header_object_and_empty_tensors_are_valid()
    {
        using var files = new SafetensorsTestFiles();
        var path = files.Save("empty.safetensors", Build(
            """{"e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},"z":{"dtype":"BF16","shape":[1000000000000,1000000000,0],"data_offsets":[0,0]},"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}  """,
            Floats(7)));

        using var file = SafetensorsFile.Open(path);

        Assert.Empty(file.ReadFloat32("e"));
        Assert.Empty(file.ReadFloat32("z"));
        Assert.Equal([7f], file.ReadFloat32("s"));
        Assert.Empty(file.Metadata);
        using var none = SafetensorsFile.Open(files.Save("none.safetensors", Build("{}", [])));
        Assert.Empty(none.Tensors);
    }
}
