using IclNotebook.Runtime;
using IclNotebook.Hooks;
using IclNotebook.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// A decoder-only transformer (GPT-2, GPT-NeoX/Pythia, Llama/Mistral, Qwen2: the config decides the
/// components) with every TransformerLens hook point under TL's name. Weights are in TL's layout and
/// created on <see cref="Device"/>; load them with <c>ModelLoader</c> or
/// <see cref="LoadStateDict"/>. Public run methods work without grad in their own dispose scope.
/// </summary>
public sealed partial class HookedTransformer : ComponentBase
{
    private readonly Embed embed;
    private readonly PosEmbed? pos_embed;
    private readonly TorchSharp.Modules.ModuleList<TransformerBlock> blocks;
    private readonly nn.Module<Tensor, Tensor> ln_final;
    private readonly Unembed unembed;
    private readonly HookPoint hook_embed;
    private readonly HookPoint? hook_pos_embed;
    private readonly Dictionary<string, HookPoint> _hookPoints;
    private readonly Rotary? _rotary, _localRotary;

    /// <param name="config">The architecture.</param>
    /// <param name="processing">How the weights will be processed when loaded (decides which LayerNorm weights exist).</param>
    /// <param name="device">Where the weights live; CPU by default.</param>
    /// <param name="tokenizer">The model's tokenizer; GPT-2's by default for a GPT-2 config, none for other families.</param>
    public HookedTransformer(ModelConfig config, WeightProcessing processing, Device? device = null, ModelTokenizer? tokenizer = null)
        : base(nameof(HookedTransformer), device ?? CPU)
    {
        Runtime.TorchRuntime.EnsureLoaded();
        Config = config;
        Processing = processing;
        _tokenizer = tokenizer ?? ModelTokenizer.Bundled(config.ModelType);
        bool folded = processing == WeightProcessing.Default;
        embed = Child("embed", new Embed(config, Device));
        hook_embed = Hook("hook_embed");
        if (!config.IsRotary)
        {
            pos_embed = Child("pos_embed", new PosEmbed(config, Device));
            hook_pos_embed = Hook("hook_pos_embed");
        }
        // One rotary table for every layer: [n_ctx, rotary_dim] twice, 32 MB at a 32k context and d_head 128.
        _rotary = config.IsRotary ? new Rotary(config, Device) : null;
        // Gemma 3's local layers rotate by their own base, unscaled.
        _localRotary = config.LocalRotaryBase is { } local ? new Rotary(config with { RotaryBase = local, RopeScaling = null }, Device) : null;
        var transformerBlocks = Enumerable.Range(0, config.NLayers)
            .Select(l => new TransformerBlock(config, folded, Device, config.WindowOf(l) is not null ? _localRotary ?? _rotary : _rotary, l))
            .ToArray();
        blocks = Child("blocks", nn.ModuleList(transformerBlocks));
        ln_final = Child("ln_final", Norms.Create(config, folded, Device, ScalarType.Float32));
        unembed = Child("unembed", new Unembed(config, Device, config.SharesEmbedding ? embed.TokenEmbedding : null, folded));

        _hookPoints = new Dictionary<string, HookPoint>(StringComparer.Ordinal);
        foreach (var (name, module) in named_modules())
            if (module is HookPoint hp) { hp.Name = name; _hookPoints[name] = hp; }
        eval();
    }

    public ModelConfig Config { get; }

    public WeightProcessing Processing { get; }

    private readonly ModelTokenizer? _tokenizer;

    /// <summary>The model's tokenizer (TL's <c>model.tokenizer</c>): <c>model.Tokenizer.ToTokens(prompts)</c>.</summary>
    public ModelTokenizer Tokenizer => _tokenizer ?? throw new IclException(
        $"{Config.Name} ({Config.ModelType}) was loaded without a tokenizer (its folder has no tokenizer.json). " +
        "Run it on token ids (model.Run(tokens)), or add the repository's tokenizer.json beside config.json.");

    /// <summary>Whether <see cref="Tokenizer"/> is available.</summary>
    public bool HasTokenizer => _tokenizer is not null;

    public Device ModelDevice => Device;

    /// <summary>Every hook point by TL name.</summary>
    public IReadOnlyDictionary<string, HookPoint> HookPoints => _hookPoints;

    /// <summary>
    /// The raw forward pass (grad mode is the caller's). Tokens: int64 [batch, pos]. Returns
    /// logits [batch, pos, d_vocab], or what <paramref name="options"/> asks for.
    /// </summary>
    public Tensor Forward(Tensor tokens, ForwardOptions? options = null)
    {
        options ??= ForwardOptions.Full;
        using var scope = NewDisposeScope();
        var resid = FinalResidual(tokens);
        if (options.UnembedPositions is { } positions)
        {
            var logits = unembed.call(ln_final.call(AtPositions(resid, positions)));                  // [batch, k, d_vocab]
            return (positions.dim() == 1 ? logits.squeeze(1) : logits).MoveToOuterDisposeScope();
        }
        return unembed.call(ln_final.call(resid)).MoveToOuterDisposeScope(); // [batch, pos, d_vocab]
    }

    /// <summary>
    /// The final norm's output, [batch, pos, d_model]: what the unembedding reads (the toy trainer
    /// multiplies it by its tied <c>W_E</c> at the positions it trains). Grad mode and dispose scope are the caller's.
    /// </summary>
    internal Tensor Normalized(Tensor tokens) => ln_final.call(FinalResidual(tokens));

    /// <summary>The residual stream after the last block, [batch, pos, d_model].</summary>
    private Tensor FinalResidual(Tensor tokens)
    {
        tokens = CheckTokens(tokens);
        var resid = hook_embed.call(embed.call(tokens));                                          // [batch, pos, d_model]
        // learned positions; rotary models rotate q and k instead
        if (pos_embed is not null) resid = resid.Plus(hook_pos_embed!.call(pos_embed.call(tokens)));
        for (int l = 0; l < Config.NLayers; l++)
        {
            // A scope per block frees its intermediates as soon as it is done (TorchSharp keeps
            // temporaries until their scope ends: ~120 MB per GPT-2-small block at 4x139).
            using var blockScope = NewDisposeScope();
            resid = blocks[l].call(resid).MoveToOuterDisposeScope();
        }
        return resid;
    }

    /// <summary>One position per prompt: [batch, pos, d] at int64 [batch] -> [batch, 1, d].</summary>
    private Tensor AtPositions(Tensor resid, Tensor positions)
    {
        long k = positions.dim() == 1 ? 1 : positions.shape[1];
        var index = positions.to(Device).to(int64).view(-1, k, 1).expand(-1, k, resid.shape[2]);
        return resid.gather(1, index);
    }

    /// <summary>
    /// The final norm and the unembedding on any residual vectors [..., d_model] -> logits
    /// [..., d_vocab], each vector normalised by its own scale (the logit lens). Grad mode and
    /// dispose scope are the caller's.
    /// </summary>
    internal Tensor FinalNormAndUnembed(Tensor resid) => unembed.call(ln_final.call(resid));

    /// <summary>Block <paramref name="layer"/> (the fast engine runs blocks on segments).</summary>
    internal TransformerBlock Block(int layer) => blocks[layer];

    /// <summary>Module entry point: <see cref="Forward"/> with default options.</summary>
    public override Tensor forward(Tensor input) => Forward(input);

    /// <summary>Logits without grad. Tokens: int64 [batch, pos].</summary>
    public Tensor Run(Tensor tokens, ForwardOptions? options = null)
    {
        using var noGrad = no_grad();
        return Forward(tokens, options);
    }

    /// <summary>
    /// Runs the model and records activations (all hooks, or those whose name passes
    /// <paramref name="names"/>). The cache owns its tensors; dispose it to free them early.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000",
        Justification = "The cache is returned to the caller, or disposed in the catch when the run fails.")]
    public (Tensor Logits, ActivationCache Cache) RunWithCache(Tensor tokens, Func<string, bool>? names = null, ForwardOptions? options = null)
    {
        var cache = new ActivationCache();
        var hooks = _hookPoints.Keys.Where(n => names?.Invoke(n) ?? true)
            .Select(n => (n, (HookFunction)((act, hp) => { cache.Store(hp.Name, act); return null; })))
            .ToArray();
        try
        {
            using var scope = Hooks(hooks);
            return (Run(tokens, options), cache);
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    /// <summary>Runs the model (no grad) with hooks attached only for this call.</summary>
    public Tensor RunWithHooks(Tensor tokens, params (string Name, HookFunction Hook)[] hooks)
    {
        using var scope = Hooks(hooks);
        return Run(tokens);
    }

    /// <summary>
    /// TL's <c>ungroup_grouped_query_attention</c> until the scope is disposed: with grouped-query
    /// attention, each query head's key and value are its own copy of its group's (same numbers;
    /// hook_k/hook_v [batch, pos, head, d_head]), as TL's head patching needs. No effect without grouping.
    /// </summary>
    public IDisposable UngroupGroupedQueryAttention()
    {
        var attentions = modules().OfType<Attention>().ToList();
        var before = attentions.Select(a => a.Ungrouped).ToList();
        foreach (var a in attentions) a.Ungrouped = true;
        return new Restore(() => { for (int i = 0; i < attentions.Count; i++) attentions[i].Ungrouped = before[i]; });
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>Attaches hooks until the returned scope is disposed.</summary>
    public HookScope Hooks(params (string Name, HookFunction Hook)[] hooks)
    {
        var removals = new List<IDisposable>(hooks.Length);
        foreach (var (name, fn) in hooks)
        {
            if (!_hookPoints.TryGetValue(name, out var hp))
            {
                removals.ForEach(r => r.Dispose());
                throw new IclException($"Unknown hook '{name}'. Hook names are TransformerLens's, " +
                    $"e.g. {HookName.ResidPre(0)}, {HookName.Z(0)}, {HookName.Pattern(0)} (layers 0..{Config.NLayers - 1}).");
            }
            removals.Add(hp.Add(fn));
        }
        return new HookScope(removals);
    }

    private Tensor CheckTokens(Tensor tokens)
    {
        if (tokens.dim() != 2) throw new IclException($"Tokens must be a [batch, pos] tensor; got {tokens.dim()} dimensions.");
        if (tokens.shape[1] > Config.NCtx)
            throw new IclException($"The input is {tokens.shape[1]} tokens long, longer than {Config.Name}'s context of {Config.NCtx} tokens" +
                ". Shorten the text (fewer demonstrations or shorter reviews).");
        tokens = tokens.to(int64).to(Device);
        if (tokens.numel() > 0)
        {
            long min = tokens.min().item<long>(), max = tokens.max().item<long>();
            if (min < 0 || max >= Config.DVocab)
                throw new IclException($"Token id {(min < 0 ? min : max)} is outside {Config.Name}'s vocabulary 0..{Config.DVocab - 1}.");
        }
        return tokens;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _rotary?.Dispose();
            _localRotary?.Dispose();
        }
        base.Dispose(disposing);
    }
}
