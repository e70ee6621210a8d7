using System.Diagnostics;
using System.Globalization;

namespace Cluster;

/// <summary>What a run has started (so that clean-up finds all of it) and its progress lines.</summary>
internal sealed class RunState : IAsyncDisposable
{
    public RunState(OrchestratorOptions options, Stopwatch clock)
    {
        Options = options;
        Clock = clock;
    }

    public OrchestratorOptions Options { get; }

    public Stopwatch Clock { get; }

    /// <summary>What the run is doing now (named in a timeout).</summary>
    public string Step { get; set; } = "starting";

    public Azurite? Azurite { get; set; }

    public List<SiloProcess> Silos { get; } = new();

    public Balancer? Balancer { get; set; }

    public List<TodoClient> Clients { get; } = new();

    /// <summary>The replicas made from the cluster's copy at the end (named in a failure report).</summary>
    public TodoClient? Fresh { get; set; }

    public int Mutations => Clients.Sum(c => c.Mutations);

    /// <summary>Set once the result is printed: the clients' disconnections at clean-up are not news.</summary>
    public bool Done { get; set; }

    /// <summary>
    /// A client's connection lost or back, or a list refused: shown as it happens, but a refusal only the first time
    /// (every replica of every moved list is refused once; the end counts them).
    /// </summary>
    public void ClientEvent(string line)
    {
        if (Done || (line.Contains(" refused (", StringComparison.Ordinal) && Interlocked.Exchange(ref _refusalShown, 1) == 1))
        {
            return;
        }

        Say("  " + line + (line.Contains(" refused (", StringComparison.Ordinal) ? "; the client opens it again (more like it are counted at the end)" : ""));
    }

    private int _refusalShown;

    public void Say(string line) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{Clock.Elapsed.TotalSeconds,5:0.0} s] {line}"));

    /// <summary>The failure, and each silo's last log lines (why it did not converge is usually there).</summary>
    public void Fail(string message)
    {
        Done = true;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{Clock.Elapsed.TotalSeconds,5:0.0} s] FAILED: {message}"));
        foreach (TodoClient client in Fresh is null ? Clients : Clients.Append(Fresh))
        {
            Console.WriteLine($"  {client.Name}: " + string.Join(", ", client.Lists.Values.Select(d => $"{d.DocumentId} storage {d.StorageRange} pending {d.PendingMutationCount}")));
        }

        foreach (SiloProcess silo in Silos)
        {
            IReadOnlyList<string> lines = silo.LastLines();
            Console.WriteLine($"  {silo.Name}{(silo.Killed ? " (killed)" : "")}, last {lines.Count} log lines:");
            foreach (string line in lines)
            {
                Console.WriteLine("    | " + line);
            }
        }
    }

    /// <summary>Kills every child process at once (the process is exiting: nothing else will).</summary>
    public void KillChildren()
    {
        foreach (SiloProcess silo in Silos)
        {
            silo.Dispose();
        }

        Azurite?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (TodoClient client in Clients)
        {
            await client.DisposeAsync();
        }

        Clients.Clear();
        if (Fresh is not null)
        {
            await Fresh.DisposeAsync();
            Fresh = null;
        }

        if (Balancer is not null)
        {
            await Balancer.DisposeAsync();
            Balancer = null;
        }

        foreach (SiloProcess silo in Silos)
        {
            silo.Dispose();
        }

        Silos.Clear();
        if (Azurite is not null)
        {
            await Azurite.DisposeAsync();
            Azurite = null;
        }
    }
}
