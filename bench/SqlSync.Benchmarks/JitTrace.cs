using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace SqlSync.Benchmarks;

/// <summary>
/// Names the methods the JIT compiles in this process (the runtime's <c>MethodLoadVerbose</c> events, JIT keyword), so a
/// benchmark can say what it compiles in what should be steady state: which method, at which tier, how often. Off unless
/// <see cref="Start"/> is called (<c>SQLSYNC_BENCH_JIT_TRACE=1</c> in the benchmarks that use it): the listener's own
/// event dispatch costs a little.
/// </summary>
internal sealed class JitTrace : EventListener
{
    private const EventKeywords JitKeyword = (EventKeywords)0x10;
    private static JitTrace? s_instance;
    private readonly ConcurrentQueue<string> _compiled = new();
    private bool _enabled;

    private JitTrace()
    {
    }

    /// <summary>Whether the environment asks for the trace (<c>SQLSYNC_BENCH_JIT_TRACE=1</c>).</summary>
    public static bool Requested => Environment.GetEnvironmentVariable("SQLSYNC_BENCH_JIT_TRACE") == "1";

    public static void Start() => s_instance ??= new JitTrace();

    /// <summary>
    /// The methods compiled since the last call, most frequent first, one per line as <c>COUNT× TIER NAME</c>, at most
    /// <paramref name="top"/> lines; empty when the trace is off.
    /// </summary>
    public static IReadOnlyList<string> TakeSummary(int top)
    {
        if (s_instance is null)
        {
            return [];
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (s_instance._compiled.TryDequeue(out string? name))
        {
            counts[name] = counts.GetValueOrDefault(name) + 1;
        }

        int total = counts.Values.Sum();
        return [$"{total} compilation(s) of {counts.Count} distinct method(s)",
            .. counts.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal).Take(top).Select(pair => $"{pair.Value}x {pair.Key}")];
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            _enabled = true;
            EnableEvents(eventSource, EventLevel.Verbose, JitKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_enabled || eventData.EventName is not { } name || !name.StartsWith("MethodLoadVerbose", StringComparison.Ordinal) || eventData.Payload is null)
        {
            return;
        }

        string Field(string field) => eventData.PayloadNames!.IndexOf(field) is int i and >= 0 ? eventData.Payload[i]?.ToString() ?? "" : "";
        uint flags = uint.TryParse(Field("MethodFlags"), out uint f) ? f : 0;
        // MethodFlags bits 7-9: the optimization tier (the runtime's JitOptimizationTier); bit 0: a dynamic method.
        string tier = ((flags >> 7) & 0x7) switch
        {
            1 => "minopts",
            2 => "optimized",
            3 => "tier0",
            4 => "tier1",
            5 => "tier1-osr",
            6 => "tier0-instr",
            7 => "tier1-instr",
            _ => "tier?",
        };
        string dynamic = (flags & 1) != 0 ? " dynamic" : "";
        _compiled.Enqueue($"{tier}{dynamic} {Field("MethodNamespace")}::{Field("MethodName")}");
    }
}
