#pragma once

#include "ui/page.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;

namespace tollgate {

// The organisation's own settings: name, time zone (days, weeks and months are counted in it), overall monthly
// budget, and whether a request that does not fit may go ahead with a lower max_tokens. Then this computer's own:
// the console's language, starting at login into the tray, and which database the console opens.
class SettingsPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsPage)

public:
    explicit SettingsPage(Console& console, QWidget* parent = nullptr);
    void reload() override;
    bool save();
    // This computer's settings; language and database apply at the next start.
    bool saveDesktop();

private:
    QLineEdit* m_name = nullptr;
    QLineEdit* m_timezone = nullptr;
    QLineEdit* m_budget = nullptr;
    QCheckBox* m_reduce = nullptr;
    QLabel* m_database = nullptr;
    QComboBox* m_language = nullptr;
    QCheckBox* m_atLogin = nullptr;
    QLineEdit* m_databaseChoice = nullptr;
};

} // namespace tollgate
