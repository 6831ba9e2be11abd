using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace IclNotebook.Loading;

/// <summary>
/// A checkpoint's matrix read a block of rows at a time: the embedding and unembedding, whose vocabulary-sized float32
/// copies (545 MB for Qwen2.5's 151,936 x 896, 2.4 GB for Gemma's 256,000 x 2,304) would otherwise be the loader's peak.
/// </summary>
internal sealed class CheckpointMatrix
{
    // Elements per block: 16 MB of float32, whatever the matrix's width.
    private const long BlockElements = 1 << 22;

    private readonly SafetensorsFile _file;
    private readonly string _name;

    internal CheckpointMatrix(SafetensorsFile file, string name, string key, long rows, long columns)
    {
        _file = file;
        _name = name;
        Key = key;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>The family-normalised key the matrix is stored under.</summary>
    public string Key { get; }

    public long Rows { get; }

    public long Columns { get; }

    /// <summary>The blocks of rows the matrix is read in: (first row, row count), covering every row once, in order.</summary>
    public IEnumerable<(long Start, long Count)> Blocks()
    {
        long perBlock = Math.Max(1, BlockElements / Columns);
        for (long start = 0; start < Rows; start += perBlock) yield return (start, Math.Min(perBlock, Rows - start));
    }

    /// <summary>Rows [<paramref name="start"/>, +<paramref name="count"/>) as a new float32 tensor in the caller's dispose scope.</summary>
    public Tensor Read(long start, long count)
    {
        var block = empty([count, Columns], dtype: ScalarType.Float32);
        _file.ReadFloat32(_name, MemoryMarshal.Cast<byte, float>(block.bytes), start * Columns);
        return block;
    }

    /// <summary>Whether <paramref name="other"/> holds exactly the same values (compared block by block).</summary>
    public bool SameValuesAs(CheckpointMatrix other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Rows != Rows || other.Columns != Columns) return false;
        foreach (var (start, count) in Blocks())
        {
            using var scope = NewDisposeScope();
            if (!Read(start, count).allclose(other.Read(start, count), rtol: 0, atol: 0)) return false;
        }
        return true;
    }
}
