using System.Text.Json;
using System.Text.Json.Serialization;

namespace IclNotebook;

/// <summary>
/// An option enum in JSON by its <see cref="OptionNames"/> name (<c>"last-token"</c>, not <c>0</c>), so
/// results.json and shard files read like the command line that made them.
/// </summary>
public sealed class OptionNameJson<T> : JsonConverter<T> where T : struct, Enum
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        OptionNameJsonText.Parse<T>(reader.TokenType == JsonTokenType.String ? reader.GetString() : null);

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(OptionNames.Name(value));
    }
}

/// <summary>
/// A setting that is an option enum or, where the caller passed the data itself (read positions, corrupted
/// tokens), null: written <c>"given"</c>.
/// </summary>
public sealed class GivenOrOptionNameJson<T> : JsonConverter<T?> where T : struct, Enum
{
    public const string Given = "given";

    public override bool HandleNull => true;

    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string? name = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return name == Given || reader.TokenType == JsonTokenType.Null ? null : OptionNameJsonText.Parse<T>(name);
    }

    public override void Write(Utf8JsonWriter writer, T? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value is { } v ? OptionNames.Name(v) : Given);
    }
}

internal static class OptionNameJsonText
{
    /// <summary>The value named <paramref name="name"/>, or a JsonException the file readers turn into "damaged file" errors.</summary>
    public static T Parse<T>(string? name) where T : struct, Enum
    {
        if (name is null) throw new JsonException($"Expected a {typeof(T).Name} name ({string.Join(", ", OptionNames.All<T>())}).");
        try { return OptionNames.Parse<T>(name); }
        catch (IclException e) { throw new JsonException(e.Message, e); }
    }
}
