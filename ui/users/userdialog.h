#pragma once

#include "core/domain/domain.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;

namespace tollgate {

class Service;

// Creates a user or edits one: name, email, status and (for a new user) a monthly limit. Refuses bad values inline
// and keeps the dialog open when the service refuses the save, saying why.
class UserDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UserDialog)

public:
    UserDialog(Service& service, std::optional<User> existing, QWidget* parent = nullptr);
    void accept() override;
    Id savedId() const { return m_savedId; }

private:
    Service& m_service;
    std::optional<User> m_existing;
    QLineEdit* m_name = nullptr;
    QLineEdit* m_email = nullptr;
    QComboBox* m_status = nullptr;
    QLineEdit* m_limit = nullptr;
    QLabel* m_error = nullptr;
    Id m_savedId = 0;
};

} // namespace tollgate
