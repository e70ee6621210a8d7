using System.Diagnostics;
using System.Net;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using SqlSync.Orleans;
using SqlSync.Server;
using TodoApp;

namespace Cluster;

/// <summary>
/// One silo process, as a deployment runs it: an ASP.NET Core host with Orleans (membership in Azure Table storage),
/// SqlSync's server with its journals in Azure Blob storage (<c>UseAzureBlobJournals</c>), <c>AddSqlSyncCluster</c>
/// so that every silo serves every document through the document's grain, and <c>MapSqlSync</c> on Kestrel at
/// 127.0.0.1. Its local data directory holds only caches: any silo can open any document from the container.
/// </summary>
internal static class SiloServer
{
    /// <summary>Where a silo finds the storage account: the environment, not the command line (other users can read that).</summary>
    public const string ConnectionStringVariable = "SQLSYNC_AZURE_STORAGE_CONNECTION_STRING";

    /// <summary>The line a silo prints once it serves clients, followed by its port.</summary>
    public const string ReadyLine = "ready ";

    public static async Task<int> RunAsync(string[] args)
    {
        string name = Option(args, "--name");
        string clusterId = Option(args, "--cluster-id");
        string container = Option(args, "--container");
        string data = Option(args, "--data");
        int parent = int.Parse(Option(args, "--parent"), System.Globalization.CultureInfo.InvariantCulture);
        string connectionString = Environment.GetEnvironmentVariable(ConnectionStringVariable) is { Length: > 0 } value
            ? value
            : throw new ArgumentException($"a silo reads its storage account's connection string from {ConnectionStringVariable}");

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerProvider>(_ => new SiloLogProvider(name)); // disposed by the container
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        // The host's open and close lines tell the orchestrator where each document lives now (which silo to kill).
        builder.Logging.AddFilter("SqlSync.Server.CoordinatorHost", LogLevel.Debug);
        builder.Logging.AddFilter("SqlSync.Orleans", LogLevel.Information);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId; // one per run: an old run's rows in the table are another cluster's
                o.ServiceId = "sqlsync-todo";
            });
            silo.ConfigureEndpoints(IPAddress.Loopback, FreePort.Next(), FreePort.Next());
            silo.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(connectionString));
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                // A killed silo is declared dead within seconds rather than the default minute or so: the example
                // waits for its documents to move. A production cluster weighs this against false suspicions.
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            });

            // A call to a grain on a silo that died fails after this, and its client opens the document again.
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        });
        builder.Services.AddSqlSync(options =>
        {
            options.DataDirectory = data;
            options.UseReducer(TodoMutations.Reducer.Instance);
            options.AllowAnonymous = true; // an example on 127.0.0.1: a real server sets options.Authorize (README, "The server")
            options.UseAzureBlobJournals(connectionString, container);
        });
        builder.Services.AddSqlSyncCluster();
        await using WebApplication app = builder.Build();
        app.MapSqlSync("/sync");
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine(ReadyLine + new Uri(address).Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _ = Task.Run(() => ExitWithParentAsync(parent, app.Lifetime.ApplicationStopping));
        await app.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>
    /// A silo whose orchestrator is gone (killed without its clean-up) ends too, so no process outlives a run.
    /// </summary>
    private static async Task ExitWithParentAsync(int parent, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                using Process process = Process.GetProcessById(parent);
                if (process.HasExited)
                {
                    Environment.Exit(3);
                }
            }
            catch (ArgumentException)
            {
                Environment.Exit(3);
            }

            await Task.Delay(500, CancellationToken.None);
        }
    }

    private static string Option(string[] args, string name)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : throw new ArgumentException($"a silo needs {name}");
    }
}
