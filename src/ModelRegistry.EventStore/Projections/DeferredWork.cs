using Npgsql;

namespace ModelRegistry.EventStore.Projections;

/// <summary>
/// One statement for many rows of one kind, e.g. an <c>INSERT … SELECT … FROM unnest(…)</c>: the rows every append of a
/// transaction defers to it (<see cref="DeferringTransaction.DeferRow{TRow}"/>)
/// are written by one statement in the round trip that commits, so a group of appends pays for one statement, not one per append.
/// </summary>
/// <typeparam name="TRow">What one row is made of.</typeparam>
public abstract class RowStatement<TRow>
{
    /// <summary>The statement that writes <paramref name="rows"/> (at least one), in the order they were deferred.</summary>
    public abstract NpgsqlBatchCommand Create(IReadOnlyList<TRow> rows);
}

/// <summary>
/// An open transaction that writes may be deferred into (an append's, <see cref="AppendTransaction"/>). What is deferred is sent
/// at the latest in the round trip that commits.
/// </summary>
public abstract class DeferringTransaction
{
    private protected DeferringTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, DeferredWork deferred)
    {
        Connection = connection;
        Transaction = transaction;
        Work = deferred;
    }

    /// <summary>The open connection.</summary>
    public NpgsqlConnection Connection { get; }

    /// <summary>The open transaction.</summary>
    public NpgsqlTransaction Transaction { get; }

    private protected DeferredWork Work { get; }

    /// <summary>
    /// Sends <paramref name="command"/> later in this transaction, at the latest in the round trip that commits it (so it costs
    /// no round trip of its own): for writes whose result nobody reads. A failure rolls the whole transaction back.
    /// </summary>
    public void Defer(NpgsqlBatchCommand command) => Work.Add(command);

    /// <summary>
    /// Adds <paramref name="row"/> to <paramref name="statement"/>, sent once with every row this transaction adds to it (the rows of
    /// every append sharing it included), after the deferred statements (see <see cref="RowStatement{TRow}"/>).
    /// </summary>
    public void DeferRow<TRow>(RowStatement<TRow> statement, TRow row) => Work.AddRow(statement, row);
}

/// <summary>What a transaction sends with its commit: statements in the order they were deferred, then one per row statement.</summary>
internal sealed class DeferredWork
{
    private readonly List<NpgsqlBatchCommand> _commands = [];
    private readonly List<IRows> _rows = [];

    public bool IsEmpty => _commands.Count == 0 && _rows.Count == 0;

    public void Add(NpgsqlBatchCommand command) => _commands.Add(command);

    public void AddRow<TRow>(RowStatement<TRow> statement, TRow row)
    {
        foreach (var rows in _rows)
        {
            if (rows is Rows<TRow> same && ReferenceEquals(same.Statement, statement))
            {
                same.Items.Add(row);
                return;
            }
        }

        _rows.Add(new Rows<TRow>(statement) { Items = { row } });
    }

    /// <summary>The statements to send, leaving nothing behind.</summary>
    public List<NpgsqlBatchCommand> Take()
    {
        var taken = new List<NpgsqlBatchCommand>(_commands.Count + _rows.Count);
        taken.AddRange(_commands);
        taken.AddRange(_rows.Select(r => r.Create()));
        _commands.Clear();
        _rows.Clear();
        return taken;
    }

    private interface IRows
    {
        NpgsqlBatchCommand Create();
    }

    private sealed class Rows<TRow>(RowStatement<TRow> statement) : IRows
    {
        public RowStatement<TRow> Statement => statement;

        public List<TRow> Items { get; } = [];

        public NpgsqlBatchCommand Create() => statement.Create(Items);
    }
}

/// <summary>Statements sent together in one round trip, with the COMMIT.</summary>
internal static class Deferred
{
    private const string GenericPlans = "SET LOCAL plan_cache_mode = force_generic_plan";

    public static async Task CommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DeferredWork work, CancellationToken ct)
    {
        if (work.IsEmpty)
        {
            await transaction.CommitAsync(ct);
            return;
        }

        // The deferred statements are prepared and their parameters are often arrays. PostgreSQL keeps planning such a
        // statement for each execution, because a plan for the actual array lengths looks cheaper than the generic one; measured
        // under load that planning cost a row statement three times its execution. The cached generic plan does the same work.
        // A COMMIT sent as a statement ends the transaction on the server; Npgsql sees the connection idle again and the
        // transaction object then has nothing left to commit or roll back.
        await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { new NpgsqlBatchCommand(GenericPlans) } };
        foreach (var command in work.Take())
        {
            batch.BatchCommands.Add(command);
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await batch.ExecuteNonQueryAsync(ct);
    }
}
