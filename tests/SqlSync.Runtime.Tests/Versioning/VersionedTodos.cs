using SqlSync.Mutations;

namespace SqlSync.Runtime.Tests.Versioning;

/// <summary>
/// A hand-written todo mutation set in versions: v1 (migration 1 creates the table; AddTodo), v2 (migration 2
/// adds a priority column; AddTodoWithPriority beside AddTodo) and a v3 whose migration 3 fails after writing.
/// Every migration logs its number in <c>migration_log</c>, whose primary key would refuse a second run.
/// </summary>
internal sealed class VersionedTodos : IMutationReducer, IMutationNames, IMutationMigrations
{
    public const uint AddTodoTag = 0x10, AddTodoWithPriorityTag = 0x20;

    public static VersionedTodos V1 { get; } = new(1);

    public static VersionedTodos V2 { get; } = new(2);

    /// <summary>v2 plus a migration 3 that alters the table, then throws.</summary>
    public static VersionedTodos V3Failing { get; } = new(3);

    public VersionedTodos(int schemaVersion)
    {
        SchemaVersion = schemaVersion;
    }

    public int SchemaVersion { get; }

    /// <summary>Counts migrations run through this instance (a crash test checks what ran).</summary>
    public int MigrationsRun { get; private set; }

    public static byte[] AddTodo(long id, string title)
    {
        var writer = new MutationWriter();
        writer.WriteTag(AddTodoTag);
        writer.WriteInt64(id);
        writer.WriteString(title);
        return writer.WrittenSpan.ToArray();
    }

    public static byte[] AddTodoWithPriority(long id, string title, int priority)
    {
        var writer = new MutationWriter();
        writer.WriteTag(AddTodoWithPriorityTag);
        writer.WriteInt64(id);
        writer.WriteString(title);
        writer.WriteInt32(priority);
        return writer.WrittenSpan.ToArray();
    }

    public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
    {
        var reader = new MutationReader(mutation);
        uint tag = reader.ReadTag();
        switch (tag)
        {
            case AddTodoTag:
                context.Execute("INSERT INTO todos(id, title) VALUES(?1, ?2)", reader.ReadInt64(), reader.ReadString());
                return;
            case AddTodoWithPriorityTag when SchemaVersion >= 2:
                context.Execute("INSERT INTO todos(id, title, priority) VALUES(?1, ?2, ?3)", reader.ReadInt64(), reader.ReadString(), reader.ReadInt32());
                return;
            default:
                throw new SqlSyncException(SqlSyncErrorCode.UnknownMutationTag, $"Unknown mutation tag 0x{tag:X8} for VersionedTodos v{SchemaVersion}.");
        }
    }

    public string? GetMutationName(uint tag) => tag switch
    {
        AddTodoTag => "AddTodo",
        AddTodoWithPriorityTag when SchemaVersion >= 2 => "AddTodoWithPriority",
        _ => null,
    };

    public void Migrate(IMutationContext context, int version)
    {
        MigrationsRun++;
        switch (version)
        {
            case 1:
                context.Execute("CREATE TABLE todos(id INTEGER PRIMARY KEY, title TEXT NOT NULL)");
                context.Execute("CREATE TABLE migration_log(version INTEGER PRIMARY KEY, at TEXT NOT NULL)");
                break;
            case 2:
                context.Execute("ALTER TABLE todos ADD COLUMN priority INTEGER NOT NULL DEFAULT 0");
                break;
            case 3:
                context.Execute("ALTER TABLE todos ADD COLUMN due TEXT");
                throw new InvalidOperationException("migration 3 is broken");
            default:
                throw new ArgumentOutOfRangeException(nameof(version));
        }

        context.Execute("INSERT INTO migration_log(version, at) VALUES(?1, datetime('now'))", version);
    }

    public string GetMigrationName(int version) => "Migration" + version;
}
