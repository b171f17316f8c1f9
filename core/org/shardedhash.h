#pragma once

#include <QHash>

#include <array>

namespace tollgate {

// A hash split into shards, each an implicitly shared QHash: copying one is 64 reference counts, and changing an
// entry of a copy detaches only its shard. That is what lets a snapshot of a large organisation be copied and
// changed for every write: renaming one of 100,000 users copies ~1,600 of them, not all.
template<class Key, class T, int Shards = 64>
class ShardedHash final
{
public:
    using key_type = Key;
    using mapped_type = T;

    qsizetype size() const { return m_size; }
    bool isEmpty() const { return m_size == 0; }
    bool contains(const Key& key) const { return shard(key).contains(key); }
    // The entry, or nullptr.
    const T* get(const Key& key) const
    {
        const QHash<Key, T>& s = shard(key);
        auto it = s.constFind(key);
        return it == s.cend() ? nullptr : &*it;
    }
    // The entry to change in place (detaching its shard), or nullptr.
    T* getMutable(const Key& key)
    {
        QHash<Key, T>& s = shard(key);
        auto it = s.find(key);
        return it == s.end() ? nullptr : &*it;
    }
    T value(const Key& key, const T& fallback = T()) const { return shard(key).value(key, fallback); }
    QList<T> values() const
    {
        QList<T> out;
        out.reserve(m_size);
        for (const QHash<Key, T>& s : m_shards)
            for (const T& v : s)
                out.append(v);
        return out;
    }

    void insert(const Key& key, T value)
    {
        QHash<Key, T>& s = shard(key);
        const qsizetype before = s.size();
        s.insert(key, std::move(value));
        m_size += s.size() - before;
    }
    bool remove(const Key& key)
    {
        const bool removed = shard(key).remove(key);
        m_size -= removed ? 1 : 0;
        return removed;
    }
    const T operator[](const Key& key) const { return value(key); } // as QHash's: a copy, default when absent
    // The entry, made when absent.
    T& operator[](const Key& key)
    {
        QHash<Key, T>& s = shard(key);
        const qsizetype before = s.size();
        T& v = s[key];
        m_size += s.size() - before;
        return v;
    }
    void clear()
    {
        for (QHash<Key, T>& s : m_shards)
            s.clear();
        m_size = 0;
    }

    // Every entry's value, shard by shard (in no particular order). Iterating mutably detaches every shard.
    template<bool Const>
    class Iterator final
    {
    public:
        using Shard = std::conditional_t<Const, const QHash<Key, T>, QHash<Key, T>>;
        using Inner =
            std::conditional_t<Const, typename QHash<Key, T>::const_iterator, typename QHash<Key, T>::iterator>;
        using Array =
            std::conditional_t<Const, const std::array<QHash<Key, T>, Shards>, std::array<QHash<Key, T>, Shards>>;
        Iterator(Array* shards, int index)
            : m_shards(shards)
            , m_index(index)
        {
            settle(true);
        }
        auto& operator*() const { return *m_it; }
        auto* operator->() const { return &*m_it; }
        const Key& key() const { return m_it.key(); }
        Iterator& operator++()
        {
            ++m_it;
            settle(false);
            return *this;
        }
        bool operator==(const Iterator& o) const
        {
            return m_index == o.m_index && (m_index == Shards || m_it == o.m_it);
        }

    private:
        // Moves to the first entry at or after the current place, across empty shards.
        void settle(bool fresh)
        {
            if (fresh && m_index < Shards)
                m_it = begin((*m_shards)[m_index]);
            while (m_index < Shards && m_it == end((*m_shards)[m_index])) {
                if (++m_index < Shards)
                    m_it = begin((*m_shards)[m_index]);
            }
        }
        static Inner begin(Shard& s)
        {
            if constexpr (Const)
                return s.cbegin();
            else
                return s.begin();
        }
        static Inner end(Shard& s)
        {
            if constexpr (Const)
                return s.cend();
            else
                return s.end();
        }
        Array* m_shards;
        int m_index;
        Inner m_it {};
    };
    Iterator<true> begin() const { return {&m_shards, 0}; }
    Iterator<true> end() const { return {&m_shards, Shards}; }
    Iterator<false> begin() { return {&m_shards, 0}; }
    Iterator<false> end() { return {&m_shards, Shards}; }

private:
    static size_t indexOf(const Key& key) { return qHash(key, size_t(0x9e3779b97f4a7c15ULL)) % Shards; }
    QHash<Key, T>& shard(const Key& key) { return m_shards[indexOf(key)]; }
    const QHash<Key, T>& shard(const Key& key) const { return m_shards[indexOf(key)]; }

    std::array<QHash<Key, T>, Shards> m_shards;
    qsizetype m_size = 0;
};

} // namespace tollgate
