using System.Security.Cryptography;
using System.Text.Json;

namespace IclNotebook.Tests.Icl;

/// <summary>
/// The Function Vectors task datasets ship with the kit as the authors' files (issue 28), with their MIT licence and
/// credit beside them: every file byte-identical to its SHA-256 in the manifest, and a list of input/output pairs.
/// </summary>
public class ShippedDatasetsTests
{
    private static string Folder => Path.Combine(AppContext.BaseDirectory, "data", "datasets", "function-vectors");

    [Fact]
    public void The_function_vector_datasets_are_the_authors_files_with_their_licence()
    {
        Assert.Contains("Copyright (c) 2023 Eric Todd", File.ReadAllText(Path.Combine(Folder, "LICENSE")), StringComparison.Ordinal);
        Assert.Contains("Function Vectors in Large Language Models", File.ReadAllText(Path.Combine(Folder, "README.md")), StringComparison.Ordinal);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        var files = manifest.RootElement.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(47, files.Count);
        foreach (var entry in files)
        {
            string file = entry.GetProperty("file").GetString()!;
            byte[] bytes = File.ReadAllBytes(Path.Combine(Folder, file));
            Assert.True(Convert.ToHexStringLower(SHA256.HashData(bytes)) == entry.GetProperty("sha256").GetString(),
                $"{file} is not the authors' file (its SHA-256 differs from manifest.json)");
            using var pairs = JsonDocument.Parse(bytes);
            Assert.Equal(entry.GetProperty("pairs").GetInt32(), pairs.RootElement.GetArrayLength());
            Assert.All(pairs.RootElement.EnumerateArray(), p => Assert.True(
                p.GetProperty("input").ValueKind == JsonValueKind.String && p.GetProperty("output").ValueKind == JsonValueKind.String,
                $"{file}: a pair without string input and output: {p.GetRawText()}"));
        }
    }
}
