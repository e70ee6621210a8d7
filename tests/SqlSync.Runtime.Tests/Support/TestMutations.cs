using SqlSync.Mutations;

namespace SqlSync.Runtime.Tests.Support;

/// <summary>Hand-written mutation records and reducer (the tests of the engine do not depend on the generator).</summary>
public static class TestMutations
{
    public const uint CreateSchemaTag = 1, InsertTag = 2, AddQuantityTag = 3, DeleteTag = 4, FailTag = 5, InsertNondeterministicTag = 6, TransferTag = 7, FillTag = 8, DdlTag = 9;

    public sealed record CreateSchema : IMutation
    {
        public uint Tag => CreateSchemaTag;
        public void WriteTo(MutationWriter writer) => writer.WriteTag(Tag);
    }

    public sealed record Insert(long Id, string Name, long Quantity) : IMutation
    {
        public uint Tag => InsertTag;
        public void WriteTo(MutationWriter writer)
        {
            writer.WriteTag(Tag);
            writer.WriteInt64(Id);
            writer.WriteString(Name);
            writer.WriteInt64(Quantity);
        }
    }

    public sealed record AddQuantity(long Id, long Delta) : IMutation
    {
        public uint Tag => AddQuantityTag;
        public void WriteTo(MutationWriter writer)
        {
            writer.WriteTag(Tag);
            writer.WriteInt64(Id);
            writer.WriteInt64(Delta);
        }
    }

    public sealed record Delete(long Id) : IMutation
    {
        public uint Tag => DeleteTag;
        public void WriteTo(MutationWriter writer)
        {
            writer.WriteTag(Tag);
            writer.WriteInt64(Id);
        }
    }

    /// <summary>Always throws after writing a row, so a rollback must undo the write.</summary>
    public sealed record Fail(string Message) : IMutation
    {
        public uint Tag => FailTag;
        public void WriteTo(MutationWriter writer)
        {
            writer.WriteTag(Tag);
            writer.WriteString(Message);
        }
    }

    /// <summary>Uses every source of nondeterminism SqlSync makes deterministic.</summary>
    public sealed record InsertNondeterministic(long Id) : IMutation
    {
        public uint Tag => InsertNondeterministicTag;
        public void WriteTo(MutationWriter writer)
        {
            writer.WriteTag(Tag);
            writer.WriteInt64(Id);
        }
    }

    /// <summary>Moves quantity between two rows: the sum over all rows never changes.</summary>
    public sealed record Transfer(long From, long To, long Amount) : IMutation
    {
        public uint Tag => TransferTag;
        public void WriteTo(MutationWriter writer)
        {
            writer.WriteTag(Tag);
            writer.WriteInt64(From);
            writer.WriteInt64(To);
            writer.WriteInt64(Amount);
        }
    }

    /// <summary>Inserts <c>Count</c> rows with a padding blob, to grow the database fast.</summary>
    public sealed record Fill(long FirstId, int Count, int Padding) : IMutation
    {
        public uint Tag => FillTag;
        public void WriteTo(MutationWriter writer)
        {
            writer.WriteTag(Tag);
            writer.WriteInt64(FirstId);
            writer.WriteInt32(Count);
            writer.WriteInt32(Padding);
        }
    }

    /// <summary>
    /// A schema change of a kind picked by the caller: tables and indexes come and go, so replicas' schema
    /// cookies move by different amounts and connections must notice every schema change under them.
    /// </summary>
    public sealed record Ddl(int Kind) : IMutation
    {
        public uint Tag => DdlTag;
        public void WriteTo(MutationWriter writer)
        {
            writer.WriteTag(Tag);
            writer.WriteInt32(Kind);
        }
    }

    public static IMutationReducer Reducer { get; } = new TestReducer();

    private sealed class TestReducer : IMutationReducer
    {
        public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
        {
            var reader = new MutationReader(mutation);
            uint tag = reader.ReadTag();
            switch (tag)
            {
                case CreateSchemaTag:
                    context.Execute("CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL)");
                    context.Execute("CREATE INDEX IF NOT EXISTS items_name ON items(name)");
                    context.Execute("CREATE TABLE IF NOT EXISTS facts(id INTEGER PRIMARY KEY, guid TEXT, r1 INTEGER, r2 INTEGER, blob BLOB, now_text TEXT, ctx_now TEXT, dbl REAL)");
                    break;
                case InsertTag:
                {
                    long id = reader.ReadInt64();
                    string name = reader.ReadString();
                    long qty = reader.ReadInt64();
                    context.Execute("INSERT INTO items(id, name, qty) VALUES(?1, ?2, ?3)", id, name, qty);
                    break;
                }
                case AddQuantityTag:
                {
                    long id = reader.ReadInt64();
                    long delta = reader.ReadInt64();
                    if (context.Execute("UPDATE items SET qty = qty + ?2 WHERE id = ?1", id, delta) == 0)
                    {
                        throw new InvalidOperationException($"item {id} does not exist");
                    }

                    break;
                }
                case DeleteTag:
                    context.Execute("DELETE FROM items WHERE id = ?1", reader.ReadInt64());
                    break;
                case FailTag:
                {
                    string message = reader.ReadString();
                    context.Execute("INSERT INTO items(id, name, qty) VALUES(?1, 'doomed', 0)", 1_000_000_000L + context.NextInt32(0, 1000));
                    throw new InvalidOperationException(message);
                }
                case InsertNondeterministicTag:
                {
                    long id = reader.ReadInt64();
                    context.Execute(
                        "INSERT INTO facts(id, guid, r1, r2, blob, now_text, ctx_now, dbl) VALUES(?1, ?2, ?3, random(), randomblob(16), datetime('now'), ?4, ?5)",
                        id, context.NewGuid(), context.NextInt64(), context.Now, context.NextDouble());
                    break;
                }
                case TransferTag:
                {
                    long from = reader.ReadInt64();
                    long to = reader.ReadInt64();
                    long amount = reader.ReadInt64();
                    context.Execute("UPDATE items SET qty = qty - ?2 WHERE id = ?1", from, amount);
                    context.Execute("UPDATE items SET qty = qty + ?2 WHERE id = ?1", to, amount);
                    break;
                }
                case FillTag:
                {
                    long first = reader.ReadInt64();
                    int count = reader.ReadInt32();
                    int padding = reader.ReadInt32();
                    for (int i = 0; i < count; i++)
                    {
                        context.Execute("INSERT INTO items(id, name, qty) VALUES(?1, ?2, ?3)", first + i,
                            "item-" + (first + i).ToString(System.Globalization.CultureInfo.InvariantCulture) + new string('x', padding), i);
                    }

                    break;
                }
                case DdlTag:
                {
                    int kind = reader.ReadInt32();
                    string n = (kind / 4).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    switch (kind % 4)
                    {
                        case 0:
                            context.Execute($"CREATE TABLE IF NOT EXISTS extra_{n}(x INTEGER PRIMARY KEY, y TEXT)");
                            context.Execute($"INSERT INTO extra_{n}(y) VALUES('made at ' || datetime('now'))");
                            break;
                        case 1:
                            context.Execute($"DROP TABLE IF EXISTS extra_{n}");
                            break;
                        case 2:
                            context.Execute($"CREATE INDEX IF NOT EXISTS items_qty_{n} ON items(qty, name)");
                            break;
                        default:
                            context.Execute($"DROP INDEX IF EXISTS items_qty_{n}");
                            break;
                    }

                    break;
                }

                default:
                    throw new SqlSyncException(SqlSyncErrorCode.UnknownMutationTag, $"Unknown mutation tag {tag} for TestMutations.");
            }

            reader.EnsureAtEnd();
        }
    }
}
