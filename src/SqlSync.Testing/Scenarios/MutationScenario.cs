using System.Globalization;
using System.Runtime.CompilerServices;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Testing.Snapshots;

namespace SqlSync.Testing;

/// <summary>
/// What a reducer does to a database, as deterministic text: a fresh in-memory coordinator document
/// receives the <see cref="Given"/> and <see cref="When"/> records on one timeline and applies each in
/// its own step, exactly as a server would; <see cref="Render"/> then writes every user table's schema
/// and rows (by primary key), the rejected mutations with their errors, and the database checksum.
/// The timeline id and the clock are fixed, so <c>context.Now</c>, <c>context.NewGuid()</c> and SQL
/// <c>random()</c> give the same values on every run and machine. Immutable: each call returns a new
/// scenario, so a shared <c>Given</c> can start many tests.
/// </summary>
/// <example>
/// <code>
/// MutationScenario.For(TodoMutations.Reducer.Instance)
///     .Given(new TodoMutations.CreateSchemaMutation())
///     .When(new TodoMutations.AddTodoMutation(id, "Buy milk"))
///     .Verify("AddTodo");
/// </code>
/// </example>
public sealed class MutationScenario
{
    /// <summary>The timeline every scenario's mutations are made on.</summary>
    public static readonly TimelineId Timeline = new(new Guid("5ce4a210-0000-4000-8000-000000000001"));

    /// <summary>When the first mutation is made (LSN 0), unless <see cref="StartingAt"/> says otherwise: 2025-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The time between one mutation and the next, unless <see cref="StartingAt"/> says otherwise: one second.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    /// <summary>The document id of the scenario's coordinator document.</summary>
    public const string DocumentId = "scenario";

    private MutationScenario(IMutationReducer reducer, IReadOnlyList<IMutation> given, IReadOnlyList<IMutation> when, DateTimeOffset start, TimeSpan interval)
    {
        Reducer = reducer;
        GivenMutations = given;
        WhenMutations = when;
        Start = start;
        Interval = interval;
    }

    /// <summary>The reducer under test.</summary>
    public IMutationReducer Reducer { get; }

    /// <summary>The mutations that set the scene (a schema, existing rows), applied first.</summary>
    public IReadOnlyList<IMutation> GivenMutations { get; }

    /// <summary>The mutations under test, applied after <see cref="GivenMutations"/>.</summary>
    public IReadOnlyList<IMutation> WhenMutations { get; }

    /// <summary>The time of the first mutation.</summary>
    public DateTimeOffset Start { get; }

    /// <summary>The time between consecutive mutations.</summary>
    public TimeSpan Interval { get; }

    /// <summary>A scenario for <paramref name="reducer"/> (e.g. <c>TodoMutations.Reducer.Instance</c>) on an empty database.</summary>
    public static MutationScenario For(IMutationReducer reducer)
    {
        ArgumentNullException.ThrowIfNull(reducer);
        return new MutationScenario(reducer, [], [], DefaultStart, DefaultInterval);
    }

    /// <summary>This scenario with <paramref name="mutations"/> added to the ones that set the scene.</summary>
    public MutationScenario Given(params IMutation[] mutations) =>
        new(Reducer, Append(GivenMutations, mutations), WhenMutations, Start, Interval);

    /// <summary>This scenario with <paramref name="mutations"/> added to the ones under test.</summary>
    public MutationScenario When(params IMutation[] mutations) =>
        new(Reducer, GivenMutations, Append(WhenMutations, mutations), Start, Interval);

    /// <summary>This scenario with another clock: mutation <c>n</c> is made at <c>start + n × interval</c>.</summary>
    public MutationScenario StartingAt(DateTimeOffset start, TimeSpan interval)
    {
        if (interval < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), "The clock of a scenario does not run backwards.");
        }

        return new MutationScenario(Reducer, GivenMutations, WhenMutations, start, interval);
    }

    /// <summary>Runs the scenario on a fresh in-memory document and returns its text; the same scenario always gives the same text.</summary>
    /// <remarks>
    /// The current culture and UI culture are the invariant culture while the scenario runs, so neither a
    /// reducer's formatting nor an exception message depends on the machine's settings.
    /// </remarks>
    public string Render()
    {
        CultureInfo culture = CultureInfo.CurrentCulture;
        CultureInfo uiCulture = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
        try
        {
            return Run();
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = uiCulture;
        }
    }

    /// <summary>Checks <see cref="Render"/> against <c>{name}.verified.txt</c> beside the calling test file.</summary>
    /// <param name="name">The snapshot's name, e.g. <c>"TodoScenarios.AddTodo"</c>.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    public void Verify(string name, [CallerFilePath] string callerFile = "") =>
        SnapshotAssert.Matches(Render(), name, "txt", callerFile);

    /// <summary>When mutation <paramref name="index"/> (its LSN) is made, in Unix milliseconds.</summary>
    internal long TimestampOf(int index) => (Start + (Interval * index)).ToUnixTimeMilliseconds();

    private string Run()
    {
        IMutation[] all = [.. GivenMutations, .. WhenMutations];
        using CoordinatorDocument coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions
        {
            DocumentId = DocumentId,
            Reducer = Reducer,
            FsyncOnAppend = false,
        });

        if (all.Length > 0)
        {
            var entries = new ReadOnlyMemory<byte>[all.Length];
            for (int i = 0; i < all.Length; i++)
            {
                entries[i] = TimelineEntry.Encode(TimestampOf(i), Encode(all[i]));
            }

            coordinator.ReceiveTimeline(Timeline, new JournalPartial(LsnRange.Inclusive(Lsn.Zero, new Lsn((ulong)all.Length - 1)), entries));
            while (coordinator.Step() > 0)
            {
                // one storage entry per mutation, as a coordinator that steps as entries arrive
            }
        }

        return ScenarioText.Render(this, coordinator);
    }

    private static byte[] Encode(IMutation mutation)
    {
        var writer = new MutationWriter();
        mutation.WriteTo(writer);
        return writer.ToArray();
    }

    private static IMutation[] Append(IReadOnlyList<IMutation> existing, IMutation[] more)
    {
        ArgumentNullException.ThrowIfNull(more);
        for (int i = 0; i < more.Length; i++)
        {
            if (more[i] is null)
            {
                throw new ArgumentNullException(nameof(more), $"Mutation {i} of the list is null.");
            }
        }

        return [.. existing, .. more];
    }
}
