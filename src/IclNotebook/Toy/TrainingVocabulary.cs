using IclNotebook.Icl;
using static TorchSharp.torch;

namespace IclNotebook.Toy;

/// <summary>
/// The rows of GPT-2's 50,257-token vocabulary the toy trainer trains: every token the task's
/// sequences contain (BOS, "\n", the inputs, the training labels) and a fixed, seeded sample of
/// <see cref="ToyTrainingOptions.Negatives"/> other tokens, the softmax's competitors. Training runs
/// on a model of this small vocabulary (local ids 0..Count-1), and the trained rows are written back
/// into the full embedding, whose other rows keep their initial values. Those untouched rows are
/// drawn from the same distribution as the sampled competitors the training pushed down, so the
/// full-vocabulary answer, the top token (which the held-out accuracy measures), matches the
/// sampled one; its probability does not (the ~46,000 untrained rows keep about a quarter of the
/// mass: clean log P(answer) -0.30 on the task file's prompts). The
/// full softmax made every step unembed and update 50,257 rows, most of a step's time (300 steps
/// of 2-6 demonstrations, measured side by side twice: 15 s and 12 s with 4,096 competitors, 44 s
/// and 42 s with the full vocabulary).
/// </summary>
internal sealed class TrainingVocabulary
{
    private readonly int[] _local;

    public TrainingVocabulary(IEnumerable<long> taskTokens, int dVocab, int negatives, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(taskTokens);
        var rows = new List<long>();
        _local = Enumerable.Repeat(-1, dVocab).ToArray();
        void Add(long id)
        {
            if (_local[id] >= 0) return;
            _local[id] = rows.Count;
            rows.Add(id);
        }
        foreach (var id in taskTokens) Add(id);
        int others = Math.Min(negatives, dVocab - rows.Count);
        var draw = new SplitMix64(seed ^ 0x5EEDF00DUL);
        for (int added = 0; added < others;)
        {
            long id = draw.NextInt(dVocab);
            if (_local[id] >= 0) continue;
            Add(id);
            added++;
        }
        Global = rows.ToArray();
    }

    /// <summary>Local id -> GPT-2 token id.</summary>
    public long[] Global { get; }

    /// <summary>Rows trained.</summary>
    public int Count => Global.Length;

    /// <summary>The local id of a token the task uses.</summary>
    public long Local(long token) => _local[token] >= 0 ? _local[token]
        : throw new InvalidOperationException($"Token {token} is not in the training vocabulary.");

    /// <summary>The GPT-2 ids of the trained rows as an int64 tensor (for index_select / index_copy_).</summary>
    public Tensor GlobalIds() => tensor(Global);
}
