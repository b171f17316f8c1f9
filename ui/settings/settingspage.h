#pragma once

#include "page.h"

class QCheckBox;
class QLabel;
class QLineEdit;

namespace tollgate {

// The organisation's own settings: name, time zone (days, weeks and months are counted in it), overall monthly
// budget, and whether a request that does not fit may go ahead with a lower max_tokens.
class SettingsPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsPage)

public:
    explicit SettingsPage(Console& console, QWidget* parent = nullptr);
    void reload() override;
    bool save();

private:
    QLineEdit* m_name = nullptr;
    QLineEdit* m_timezone = nullptr;
    QLineEdit* m_budget = nullptr;
    QCheckBox* m_reduce = nullptr;
    QLabel* m_database = nullptr;
};

} // namespace tollgate
