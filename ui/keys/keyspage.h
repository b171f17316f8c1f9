#pragma once

#include "core/domain/domain.h"
#include "ui/page.h"
#include "ui/widgets/listmodel.h"

class QTableView;

namespace tollgate {

struct KeyRow
{
    ApiKey key;
    QString project;
    QString holder;
    Money spend = 0; // this month
    qint64 requests = 0; // this month
};

// The organisation's API keys with this month's usage: create (the secret shown once), cap, revoke, delete.
class KeysPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KeysPage)

public:
    explicit KeysPage(Console& console, QWidget* parent = nullptr);
    void reload() override;
    void newKey();
    QTableView* table() const { return m_table; }
    ListModel<KeyRow>* model() const { return m_model; }

signals:
    // The request log, filtered to one key.
    void showRequests(Id keyId);

private:
    QList<Id> selectedKeys() const;
    std::optional<ApiKey> selectedKey(); // the one key selected; says so when it is not one
    void setCap();
    void toggleCustomerLimits(); // grants or takes away the key feature customer_limits
    void revoke();
    void remove();

    ListModel<KeyRow>* m_model = nullptr;
    QTableView* m_table = nullptr;
};

} // namespace tollgate
